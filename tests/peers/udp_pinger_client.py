#!/usr/bin/env python3
"""A handout-style UDP ping client (Assignment 2 with optional exercise 1), as a student writes it:
10 pings (or --count), "Ping <seq> <time>", 1 s timeout, the reply and RTT in seconds or
"Request timed out", then min/avg/max RTT and the loss rate.

    python3 udp_pinger_client.py host port [--count N] [--timeout S]
"""
import argparse
import time
from socket import socket, AF_INET, SOCK_DGRAM, timeout

parser = argparse.ArgumentParser()
parser.add_argument("host")
parser.add_argument("port", type=int)
parser.add_argument("--count", type=int, default=10)
parser.add_argument("--timeout", type=float, default=1.0)
args = parser.parse_args()

clientSocket = socket(AF_INET, SOCK_DGRAM)
clientSocket.settimeout(args.timeout)
rtts = []
for seq in range(1, args.count + 1):
    sent = time.time()
    message = "Ping %d %f" % (seq, sent)
    start = time.perf_counter()
    clientSocket.sendto(message.encode(), (args.host, args.port))
    try:
        while True:
            reply, server = clientSocket.recvfrom(65535)
            rtt = time.perf_counter() - start
            fields = reply.decode(errors="replace").split()
            # A late reply to an earlier ping is not this ping's reply.
            if len(fields) >= 2 and fields[1] == str(seq):
                break
        rtts.append(rtt)
        print("Reply from %s: %s RTT = %.6f s" % (server[0], reply.decode(errors="replace"), rtt), flush=True)
    except timeout:
        print("Request timed out", flush=True)

clientSocket.close()
received = len(rtts)
loss = (args.count - received) * 100.0 / args.count
print("%d packets transmitted, %d received, %g%% packet loss" % (args.count, received, loss))
if rtts:
    print("RTT min/avg/max = %.6f/%.6f/%.6f s" % (min(rtts), sum(rtts) / received, max(rtts)))
