#!/usr/bin/env python3
"""A handout 001 Exercise 9-1 style time server (ex91S.py) whose clock is off by a known amount.
It binds the port given (0 = any free port), prints "PORT <n>" once it listens, and answers each
"reqtime" with time.strftime("%c") and an ISO 8601 UTC line, both of its skewed clock.

    python3 time_server.py [port] [--offset-ms N] [--ctime-only]

--ctime-only answers one %c line and closes, as the simplest student server does.
"""
import argparse
import datetime
import socket
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("port", nargs="?", type=int, default=0)
parser.add_argument("--offset-ms", type=float, default=0.0)
parser.add_argument("--ctime-only", action="store_true")
args = parser.parse_args()


def serve(conn):
    with conn:
        while True:
            data = conn.recv(1024)
            if not data:
                return
            now = time.time() + args.offset_ms / 1000.0
            if data.strip().lower() != b"reqtime":
                conn.sendall(b"ERR unknown command\r\n")
                continue
            human = time.strftime("%c", time.gmtime(now))
            if args.ctime_only:
                conn.sendall(human.encode() + b"\n")
                return
            iso = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            conn.sendall(f"{human}\r\n{iso}\r\n".encode())


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", args.port))
server.listen(16)
print("PORT", server.getsockname()[1], flush=True)
while True:
    c, _ = server.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
