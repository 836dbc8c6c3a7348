# Bug: the listing's lines end in a bare LF instead of CRLF.
import argparse, os, socket, threading
p = argparse.ArgumentParser(); p.add_argument("port", type=int); p.add_argument("--root", default="."); a = p.parse_args()
ROOT = os.path.realpath(a.root)
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", a.port)); srv.listen(16)
print("PORT", srv.getsockname()[1], flush=True)

def listing(full):
    lines = []
    for name in sorted(os.listdir(full)):
        path = os.path.join(full, name)
        lines.append("%srw-r--r-- 1 ftp ftp %8d Jan 01 00:00 %s" % ("d" if os.path.isdir(path) else "-", os.path.getsize(path), name))
    return ("\n".join(lines) + "\n").encode()

class Session(threading.Thread):
    def __init__(self, conn):
        super().__init__(daemon=True)
        self.c, self.f = conn, conn.makefile("rb")
        self.user, self.logged, self.cwd, self.data, self.pasv = None, False, "/", None, None

    def reply(self, code, text):
        self.c.sendall(("%d %s\r\n" % (code, text)).encode())

    def real(self, arg):
        path = os.path.normpath(os.path.join(self.cwd, arg)) if arg else self.cwd
        full = os.path.realpath(os.path.join(ROOT, path.lstrip("/")))
        if full != ROOT and not full.startswith(ROOT + os.sep):
            return None, None
        return path, full

    def run(self):
        self.reply(220, "Student FTP server ready")
        try:
            for raw in self.f:
                cmd, _, arg = raw.decode("utf-8", "replace").rstrip("\r\n").partition(" ")
                if not self.handle(cmd.upper(), arg):
                    break
        except OSError:
            pass
        finally:
            self.c.close()

    def handle(self, cmd, arg):
        if cmd == "QUIT":
            self.reply(221, "Goodbye"); return False
        if cmd == "USER":
            self.user, self.logged = arg, False; self.reply(331, "Password required"); return True
        if cmd == "PASS":
            if self.user is None: self.reply(503, "Bad sequence of commands: USER first")
            else: self.logged = True; self.reply(230, "Logged in")
            return True
        if cmd not in COMMANDS:
            self.reply(500, "Syntax error, command unrecognized"); return True
        if not self.logged:
            self.reply(530, "Not logged in"); return True
        getattr(self, "do_" + cmd)(arg); return True

    def do_SYST(self, arg): self.reply(215, "UNIX Type: L8")
    def do_PWD(self, arg): self.reply(257, '"%s" is the current directory' % self.cwd)
    def do_TYPE(self, arg): self.reply(200, "Type set") if arg.upper() in ("A", "I", "A N") else self.reply(504, "Type not supported")
    def do_MODE(self, arg): self.reply(200, "Stream mode") if arg.upper() == "S" else self.reply(504, "Command not implemented for that parameter")

    def do_CWD(self, arg):
        path, full = self.real(arg)
        if full and os.path.isdir(full): self.cwd = path; self.reply(250, "Directory changed")
        else: self.reply(550, "No such directory")

    def do_PORT(self, arg):
        try:
            n = [int(x) for x in arg.split(",")]
            if len(n) != 6 or any(x < 0 or x > 255 for x in n): raise ValueError
        except ValueError:
            self.reply(501, "Syntax error in parameters or arguments"); return
        self.data = (".".join(map(str, n[:4])), n[4] * 256 + n[5])
        self.reply(200, "PORT command successful")

    def transfer(self, move):
        if self.data is None:
            self.reply(503, "Bad sequence of commands: PORT first"); return
        self.reply(150, "Opening data connection")
        d = socket.create_connection(self.data, timeout=10); self.data = None
        try: move(d)
        finally: d.close()
        self.reply(226, "Transfer complete")

    def do_LIST(self, arg):
        path, full = self.real("" if arg.startswith("-") else arg)
        if not full or not os.path.isdir(full): self.reply(550, "No such directory"); return
        self.transfer(lambda d: d.sendall(listing(full)))

    def do_RETR(self, arg):
        path, full = self.real(arg)
        if not full or not os.path.isfile(full): self.reply(550, "No such file"); return
        with open(full, "rb") as f: content = f.read()
        self.transfer(lambda d: d.sendall(content))

    def do_STOR(self, arg):
        path, full = self.real(arg)
        if not full: self.reply(553, "File name not allowed"); return
        def receive(d):
            with open(full, "wb") as f:
                while True:
                    chunk = d.recv(65536)
                    if not chunk: break
                    f.write(chunk)
        self.transfer(receive)

COMMANDS = {"SYST", "PWD", "CWD", "TYPE", "MODE", "PORT", "LIST", "RETR", "STOR"}
while True:
    conn, _ = srv.accept()
    Session(conn).start()
