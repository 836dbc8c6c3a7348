# Correct (UDP): each datagram sent back upper-cased to the address and port it came from.
import socket, sys

srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
srv.bind(("127.0.0.1", int(sys.argv[1])))
print("PORT", srv.getsockname()[1], flush=True)
while True:
    data, addr = srv.recvfrom(65535)
    srv.sendto(data.upper(), addr)
