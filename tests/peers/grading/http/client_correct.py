# Correct: handout 000's web client: "GET <path> HTTP/1.1", Host, CRLF line ends, an empty line; prints the response.
import argparse, socket
p = argparse.ArgumentParser(); p.add_argument("host"); p.add_argument("port", type=int); p.add_argument("path", nargs="?", default="/HelloWorld.html")
a = p.parse_args()
s = socket.create_connection((a.host, a.port), timeout=10)
s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n" % (a.path, a.host, a.port)).encode())
response = b""
while True:
    chunk = s.recv(4096)
    if not chunk: break
    response += chunk
print(response.decode("latin-1").split("\r\n")[0])
