# Bug: one recv() per connection, its answer, then close: a message sent in pieces (or longer than
# the buffer) comes back cut.
import socket, sys, threading

def serve(conn):
    with conn:
        data = conn.recv(1024)
        conn.sendall(data.upper())

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(16)
print("PORT", srv.getsockname()[1], flush=True)
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
