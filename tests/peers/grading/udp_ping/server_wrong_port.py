# Bug: replies to the client's host on the server's own port number instead of the port the ping came from.
import argparse, random
from socket import socket, AF_INET, SOCK_DGRAM
p = argparse.ArgumentParser(); p.add_argument("port", type=int); p.add_argument("--loss", type=float, default=0.3); p.add_argument("--seed", type=int)
a = p.parse_args(); random.seed(a.seed)
s = socket(AF_INET, SOCK_DGRAM); s.bind(("127.0.0.1", a.port)); port = s.getsockname()[1]; print("PORT", port, flush=True)
while True:
    message, address = s.recvfrom(65535)
    if random.random() < a.loss:
        continue
    s.sendto(message.upper(), (address[0], 12000 if port != 12000 else 12001))
