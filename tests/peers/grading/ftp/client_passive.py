# Bug: passive mode: PASV and a connection to the server's port, instead of PORT and accepting.
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
    numbers = cmd("PASV").split("(")[1].split(")")[0].split(",")
    conn = socket.create_connection((a.host, int(numbers[4]) * 256 + int(numbers[5])))
    if not cmd(command).startswith("150"): return b""
    chunks = []
    while True:
        chunk = conn.recv(4096)
        if not chunk: break
        chunks.append(chunk)
    conn.close(); reply()
    return b"".join(chunks)

reply()
cmd("USER anonymous"); cmd("PASS student@example.com")
print(data("LIST").decode())
content = data("RETR " + a.file)
print("GET: %d bytes" % len(content))
cmd("QUIT"); cs.close()
