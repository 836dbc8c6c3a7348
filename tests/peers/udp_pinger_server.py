#!/usr/bin/env python3
"""The handout's UDPPingerServer.py (Assignment 2), made testable: it binds the port given
(0 = any free port) and prints "PORT <n>" once it listens, and the loss can be set.

    python3 udp_pinger_server.py [port] [--loss classic|<rate 0..1>] [--seed N]

classic is the handout's own rule, random.randint(0, 10) < 4 (36.4% loss).
"""
import argparse
import random
import sys
from socket import socket, AF_INET, SOCK_DGRAM

parser = argparse.ArgumentParser()
parser.add_argument("port", nargs="?", type=int, default=12000)
parser.add_argument("--loss", default="classic")
parser.add_argument("--seed", type=int)
args = parser.parse_args()
if args.seed is not None:
    random.seed(args.seed)

serverSocket = socket(AF_INET, SOCK_DGRAM)
serverSocket.bind(("127.0.0.1", args.port))
print("PORT", serverSocket.getsockname()[1], flush=True)

while True:
    rand = random.randint(0, 10)
    message, address = serverSocket.recvfrom(65535)
    message = message.upper()
    if args.loss == "classic":
        if rand < 4:
            continue
    elif random.random() < float(args.loss):
        continue
    serverSocket.sendto(message, address)
