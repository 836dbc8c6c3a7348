#!/usr/bin/env python3
"""Handout 004's class-exercise FTP server (ftpserver.py), written from the handout's sketch on
raw sockets: on accept it sends 'connected' (no line end); the client sends 'PORT <port>' and the
server connects to that port on the client's address and sends a status; then, per command,
the result goes over the data socket and 'OK' over the control socket. RETR first sends the
file's size over the control socket ("send the size of the file via control channel"), then
the bytes over the data socket. It serves the folder given, one thread per client.

    python3 handout004_ftp_server.py ROOT [--close] [--crlf]

--close: closes the data connection after each command's data (the end of a transfer by a
closed connection) and waits for a new PORT, as an RFC 959 server does.
--crlf: ends each status with CRLF (default: bare, as cs.send('OK') does).

Prints "PORT <n>" once it listens. STOR reads until the client closes the data connection.
"""
import os
import socket
import sys
import threading

args = sys.argv[1:]
root = os.path.realpath(args[0])
close_after = "--close" in args
end = b"\r\n" if "--crlf" in args else b""


def status(cs, text):
    cs.send(text.encode() + end)


class ClientThread(threading.Thread):
    def __init__(self, cs, addr):
        super().__init__(daemon=True)
        self.cs, self.addr, self.ds, self.cwd = cs, addr, None, root

    def connect_data(self, arg):
        self.ds = socket.create_connection((self.addr[0], int(arg)), timeout=10)

    def path(self, name):
        full = os.path.realpath(os.path.join(self.cwd, name))
        if not (full == root or full.startswith(root + os.sep)):
            raise ValueError("outside the root")
        return full

    def send_data(self, data):
        self.ds.sendall(data)
        if close_after:
            self.ds.close()
            self.ds = None

    def run(self):
        cs = self.cs
        cs.settimeout(30)
        try:
            while True:
                raw = cs.recv(1024)
                if not raw:
                    return
                words = raw.decode().strip().split(" ", 1)
                cmd, arg = words[0].upper(), (words[1] if len(words) > 1 else "")
                if cmd == "PORT":
                    self.connect_data(arg)
                    status(cs, "OK")
                elif cmd == "QUIT":
                    status(cs, "OK")
                    return
                elif self.ds is None:
                    status(cs, "503 Bad sequence of commands.")
                elif cmd == "LIST":
                    names = sorted(os.listdir(self.path(arg or ".")))
                    self.send_data(("\n".join(names) + "\n").encode())
                    status(cs, "OK")
                elif cmd == "PWD":
                    self.send_data(("/" + os.path.relpath(self.cwd, root)).replace("/.", "/").encode())
                    status(cs, "OK")
                elif cmd == "SYST":
                    self.send_data(b"UNIX (handout 004 server)")
                    status(cs, "OK")
                elif cmd == "CWD":
                    try:
                        target = self.path(arg)
                    except ValueError:
                        target = None
                    if target and os.path.isdir(target):
                        self.cwd = target
                        status(cs, "OK")
                    else:
                        status(cs, "550 No such directory.")
                elif cmd == "RETR":
                    try:
                        target = self.path(arg)
                    except ValueError:
                        target = None
                    if not target or not os.path.isfile(target):
                        status(cs, "550 No such file.")
                        continue
                    cs.send(str(os.path.getsize(target)).encode() + end)
                    with open(target, "rb") as fd:
                        self.send_data(fd.read())
                    status(cs, "OK")
                elif cmd == "STOR":
                    target = self.path(os.path.basename(arg))
                    with open(target, "wb") as fd:
                        while True:
                            chunk = self.ds.recv(65536)
                            if not chunk:
                                break
                            fd.write(chunk)
                    self.ds.close()
                    self.ds = None
                    status(cs, "OK")
                else:
                    status(cs, "500 Syntax error, command unrecognized.")
        except (OSError, ValueError):
            return
        finally:
            if self.ds:
                self.ds.close()
            cs.close()


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(5)
print("PORT %d" % s.getsockname()[1], flush=True)
while True:
    c, addr = s.accept()
    status(c, "connected")
    ClientThread(c, addr).start()
