# Bug: a timeout of 1 ms, so after a loss the next ping goes at once instead of after about 1 s.
import argparse, time
from socket import socket, AF_INET, SOCK_DGRAM, timeout
p = argparse.ArgumentParser(); p.add_argument("host"); p.add_argument("port", type=int); p.add_argument("--timeout", type=float, default=1.0)
a = p.parse_args()
s = socket(AF_INET, SOCK_DGRAM)
s.settimeout(0.001)
for seq in range(1, 11):
    s.sendto(("Ping %d %f" % (seq, time.time())).encode(), (a.host, a.port))
    try:
        reply, _ = s.recvfrom(1024)
        print(reply.decode())
    except timeout:
        print("Request timed out")
