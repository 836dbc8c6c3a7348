# Correct: upper-cased echo to the sender, 30% loss, any payload size.
import argparse, random
from socket import socket, AF_INET, SOCK_DGRAM
p = argparse.ArgumentParser(); p.add_argument("port", type=int); p.add_argument("--loss", type=float, default=0.3); p.add_argument("--seed", type=int)
a = p.parse_args(); random.seed(a.seed)
s = socket(AF_INET, SOCK_DGRAM); s.bind(("127.0.0.1", a.port)); print("PORT", s.getsockname()[1], flush=True)
while True:
    message, address = s.recvfrom(65535)
    if random.random() < a.loss:
        continue
    s.sendto(message.upper(), address)
