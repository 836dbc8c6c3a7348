#!/usr/bin/env python3
"""Handout 004's class-exercise FTP client (ftpclient.py), on raw sockets as it asks: connect to
the control port, read the greeting, listen on a data port, send 'PORT <port>' (a bare port
number, no USER or PASS), then each command; the server connects to the data port and sends
the data, then closes it (the end of the transfer); the status comes on the control connection.

    python3 handout004_ftp_client.py HOST CONTROL_PORT COMMAND...

Prints each control reply as "CONTROL <line>" and each transfer's data after "DATA <n bytes>".
"""
import socket
import sys

host, port, commands = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
cs = socket.create_connection((host, port), timeout=10)
f = cs.makefile("rb")


def reply():
    # An RFC 959 reply: "ddd-" lines until "ddd ".
    line = f.readline().decode().rstrip("\r\n")
    print("CONTROL", line, flush=True)
    code = line[:3]
    while len(line) > 3 and line[3] == "-":
        line = f.readline().decode().rstrip("\r\n")
        print("CONTROL", line, flush=True)
        if line[:3] == code and line[3:4] == " ":
            break
    return code


reply()  # the greeting
ds = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ds.bind((host, 0))
ds.listen(1)
ds.settimeout(10)
cs.sendall(("PORT %d\r\n" % ds.getsockname()[1]).encode())
reply()
for command in commands:
    cs.sendall((command + "\r\n").encode())
    code = reply()
    if code == "150":
        conn, _ = ds.accept()
        data = b""
        while True:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        conn.close()
        print("DATA %d" % len(data), flush=True)
        sys.stdout.write(data.decode(errors="replace"))
        reply()
        # A new PORT for the next transfer, as RFC 959 clients do.
        cs.sendall(("PORT %d\r\n" % ds.getsockname()[1]).encode())
        reply()
cs.sendall(b"QUIT\r\n")
reply()
