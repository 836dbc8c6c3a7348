# Bug: sends no USER/PASS, so the server answers 530 to everything.
import argparse, socket
p = argparse.ArgumentParser(); p.add_argument("host"); p.add_argument("port", type=int); p.add_argument("--file", default="somefile.txt")
a = p.parse_args()
cs = socket.create_connection((a.host, a.port), timeout=10); replies = cs.makefile("rb")

def reply():
    line = replies.readline().decode()
    while line[3:4] == "-":  # a multi-line reply ends with "<code> "
        nxt = replies.readline().decode()
        if nxt[:3] == line[:3] and nxt[3:4] == " ": line = nxt; break
    print(line.rstrip()); return line

def cmd(text):
    cs.sendall((text + "\r\n").encode()); return reply()

def data(command):
    ds = socket.socket(); ds.bind((cs.getsockname()[0], 0)); ds.listen(1)
    host, port = ds.getsockname()
    cmd("PORT %s,%d,%d" % (host.replace(".", ","), port >> 8, port & 255))
    if not cmd(command).startswith("150"): return b""
    conn, _ = ds.accept(); chunks = []
    while True:
        chunk = conn.recv(4096)
        if not chunk: break
        chunks.append(chunk)
    conn.close(); ds.close(); reply()
    return b"".join(chunks)

reply()
print(data("LIST").decode())
content = data("RETR " + a.file)
print("GET: %d bytes" % len(content))
cmd("QUIT"); cs.close()
