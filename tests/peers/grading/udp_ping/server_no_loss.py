# Bug: never simulates loss (the random drop was left out).
import argparse
from socket import socket, AF_INET, SOCK_DGRAM
p = argparse.ArgumentParser(); p.add_argument("port", type=int); p.add_argument("--loss", type=float, default=0.3); p.add_argument("--seed", type=int)
a = p.parse_args()
s = socket(AF_INET, SOCK_DGRAM); s.bind(("127.0.0.1", a.port)); print("PORT", s.getsockname()[1], flush=True)
while True:
    message, address = s.recvfrom(65535)
    s.sendto(message.upper(), address)
