# Bug: an unknown command gets an error line, then the server closes the connection.
import socket, sys, threading, time, datetime

def serve(conn):
    with conn:
        pending = b""
        while True:
            data = conn.recv(1024)
            if not data:
                return
            pending += data
            while b"\n" in pending or pending.strip() == b"reqtime":
                line, _, pending = pending.partition(b"\n")
                cmd = line.strip().decode("ascii", "replace")
                if cmd == "reqtime":
                    now = datetime.datetime.now(datetime.timezone.utc)
                    conn.sendall((time.strftime("%c", now.timetuple()) + "\r\n" + now.isoformat() + "\r\n").encode())
                elif cmd:
                    conn.sendall(("ERR unknown command " + cmd + "\r\n").encode())
                    return

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(16)
print("PORT", srv.getsockname()[1], flush=True)
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
