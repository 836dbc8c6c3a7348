#!/usr/bin/env python3
"""Handout 004's class-exercise FTP client (ftpclient.py), on raw sockets as it asks: connect to
the control port, read the greeting, listen on a data port, send 'PORT <port>' (a bare port
number, no USER or PASS), then each command; the server connects to the data port and sends
the data, then closes it (the end of the transfer); the status comes on the control connection.

    python3 handout004_ftp_client.py [--bare] HOST CONTROL_PORT COMMAND...

--bare sends each command as the handout's client does, cs.send('PORT 12346'): one send(), no line end.

Prints each control reply as "CONTROL <line>" and each transfer's data after "DATA <n bytes>".
"""
import socket
import sys

args = sys.argv[1:]
bare = args[0] == "--bare"
if bare:
    args = args[1:]
host, port, commands = args[0], int(args[1]), args[2:]
END = b"" if bare else b"\r\n"


def send(command):
    cs.send(command.encode() + END)

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
send("PORT %d" % ds.getsockname()[1])
reply()
for command in commands:
    send(command)
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
        send("PORT %d" % ds.getsockname()[1])
        reply()
send("QUIT")
reply()
