# Correct: 10 pings "Ping <seq> <time>", seq 1..10, 1 s timeout (--timeout).
import argparse, time
from socket import socket, AF_INET, SOCK_DGRAM, timeout
p = argparse.ArgumentParser(); p.add_argument("host"); p.add_argument("port", type=int); p.add_argument("--timeout", type=float, default=1.0)
a = p.parse_args()
s = socket(AF_INET, SOCK_DGRAM)
s.settimeout(a.timeout)
for seq in range(1, 11):
    s.sendto(("Ping %d %f" % (seq, time.time())).encode(), (a.host, a.port))
    try:
        reply, _ = s.recvfrom(1024)
        print(reply.decode())
    except timeout:
        print("Request timed out")
