# Bug (UDP): recvfrom(1024): a longer datagram is cut to its first 1024 bytes.
import socket, sys

srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
srv.bind(("127.0.0.1", int(sys.argv[1])))
print("PORT", srv.getsockname()[1], flush=True)
while True:
    data, addr = srv.recvfrom(1024)
    srv.sendto(data.upper(), addr)
