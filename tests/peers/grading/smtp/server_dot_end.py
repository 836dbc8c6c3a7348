# Bug: the message ends at any line that starts with ".", so a dot-stuffed line ("..text", RFC 5321
# section 4.5.2) ends it early and the rest of the message is read as commands.
import socketserver, sys

class Session(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write((text + "\r\n").encode()); self.wfile.flush()

    def handle(self):
        self.reply("220 localhost Student SMTP server ready")
        helo, sender, rcpts = False, None, []
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            cmd = line[:4].upper()
            if cmd in ("HELO", "EHLO"):
                helo, sender, rcpts = True, None, []
                self.reply("250 localhost Hello")
            elif cmd == "MAIL":
                if not helo: self.reply("503 Send HELO first")
                elif sender is not None: self.reply("503 Nested MAIL command")
                else: sender = line[10:]; self.reply("250 OK")
            elif cmd == "RCPT":
                if sender is None: self.reply("503 Need MAIL before RCPT")
                else: rcpts.append(line[8:]); self.reply("250 OK")
            elif cmd == "DATA":
                if not rcpts: self.reply("503 Need RCPT before DATA"); continue
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                body = []
                for raw in self.rfile:
                    text = raw.decode("utf-8", "replace").rstrip("\r\n")
                    if text.startswith("."): break
                    body.append(text)
                print("MAIL from %s to %s, %d lines" % (sender, rcpts, len(body)), flush=True)
                sender, rcpts = None, []
                self.reply("250 OK: queued")
            elif cmd == "RSET":
                sender, rcpts = None, []; self.reply("250 OK")
            elif cmd == "NOOP":
                self.reply("250 OK")
            elif cmd == "QUIT":
                self.reply("221 Bye"); return
            else:
                self.reply("500 Syntax error, command unrecognized")

class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

srv = Server(("127.0.0.1", int(sys.argv[1])), Session)
print("PORT", srv.server_address[1], flush=True)
srv.serve_forever()
