# Bug: flags 0x0000: the RD bit is not set.
import argparse, random, struct
from socket import socket, AF_INET, SOCK_DGRAM
p = argparse.ArgumentParser(); p.add_argument("host"); p.add_argument("port", type=int); p.add_argument("--name", default="google.com")
a = p.parse_args()
qid = random.randint(1, 65535)
qname = b"".join(bytes([len(label)]) + label.encode() for label in a.name.split(".")) + b"\0"
query = struct.pack("!HHHHHH", qid, 0x0000, 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1)
s = socket(AF_INET, SOCK_DGRAM); s.settimeout(5)
s.sendto(query, (a.host, a.port))
reply, _ = s.recvfrom(2048)
rid, flags, qd, an = struct.unpack("!HHHH", reply[:8])
print("id %04x flags %04x answers %d" % (rid, flags, an))
