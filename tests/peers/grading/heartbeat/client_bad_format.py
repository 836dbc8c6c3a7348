# Bug: sends "Heartbeat <seq> <time>" instead of the handout's "<seq> <time>".
import argparse, time
from socket import socket, AF_INET, SOCK_DGRAM
p = argparse.ArgumentParser(); p.add_argument("host"); p.add_argument("port", type=int)
p.add_argument("--interval", type=float, default=1.0); p.add_argument("--count", type=int, default=10)
a = p.parse_args()
s = socket(AF_INET, SOCK_DGRAM)
for seq in range(1, a.count + 1):
    s.sendto(("Heartbeat %d %f" % (seq, time.time())).encode(), (a.host, a.port))
    if seq < a.count:
        time.sleep(a.interval)
