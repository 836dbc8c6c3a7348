# Bug: sequence numbers 0..9 instead of 1..10.
import argparse, time
from socket import socket, AF_INET, SOCK_DGRAM, timeout
p = argparse.ArgumentParser(); p.add_argument("host"); p.add_argument("port", type=int); p.add_argument("--timeout", type=float, default=1.0)
a = p.parse_args()
s = socket(AF_INET, SOCK_DGRAM)
s.settimeout(a.timeout)
for seq in range(10):
    s.sendto(("Ping %d %f" % (seq, time.time())).encode(), (a.host, a.port))
    try:
        reply, _ = s.recvfrom(1024)
        print(reply.decode())
    except timeout:
        print("Request timed out")
