# Bug: answers with flags 0x8000 (QR only): AA is not set, though the server is authoritative.
import argparse, struct
from socket import socket, AF_INET, SOCK_DGRAM
p = argparse.ArgumentParser(); p.add_argument("port", type=int); a = p.parse_args()
TABLE = {"google.com": ["192.165.1.1", "192.165.1.10"], "google.ca": ["192.165.1.1", "192.165.1.10"],
         "youtube.com": ["192.165.1.2"], "uwaterloo.ca": ["192.165.1.3"], "wikipedia.org": ["192.165.1.4"]}
s = socket(AF_INET, SOCK_DGRAM); s.bind(("127.0.0.1", a.port)); print("PORT", s.getsockname()[1], flush=True)

def parse(q):
    qid, flags, qd = struct.unpack("!HHH", q[:6])
    i, labels = 12, []
    while q[i] != 0:
        n = q[i]; labels.append(q[i + 1:i + 1 + n].decode()); i += 1 + n
        if i >= len(q): raise IndexError("label past the end")
    qtype, qclass = struct.unpack("!HH", q[i + 1:i + 5])
    return qid, ".".join(labels).lower(), q[12:i + 5]

while True:
    q, addr = s.recvfrom(2048)
    try:
        qid, name, question = parse(q)
    except (IndexError, struct.error, UnicodeDecodeError):
        if len(q) >= 2:
            s.sendto(q[:2] + struct.pack("!HHHHH", 0x8401, 0, 0, 0, 0), addr)
        continue
    ips = TABLE.get(name)
    if ips is None:
        s.sendto(struct.pack("!HHHHHH", qid, 0x8403, 1, 0, 0, 0) + question, addr)
        continue
    answer = b"".join(struct.pack("!HHHIH", 0xC00C, 1, 1, 260, 4) + bytes(int(x) for x in ip.split(".")) for ip in ips)
    s.sendto(struct.pack("!HHHHHH", qid, 0x8000, 1, len(ips), 0, 0) + question + answer, addr)
