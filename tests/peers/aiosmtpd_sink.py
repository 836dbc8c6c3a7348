"""A real SMTP server for the tests: aiosmtpd on a port the OS picks (printed first), printing
every message it accepts as one JSON line. Usage: aiosmtpd_sink.py [--tls CERT KEY] [--auth]"""
import asyncio, base64, json, socket, ssl, sys
from aiosmtpd.smtp import SMTP, AuthResult


class Handler:
    async def handle_DATA(self, server, session, envelope):
        print(json.dumps({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                          "data": base64.b64encode(envelope.original_content).decode()}), flush=True)
        return "250 OK stored"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"student" and auth_data.password == b"netlab"
    return AuthResult(success=ok)


async def main():
    tls = None
    if "--tls" in sys.argv:
        i = sys.argv.index("--tls")
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(sys.argv[i + 1], sys.argv[i + 2])
    auth = "--auth" in sys.argv
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Handler(), tls_context=tls, require_starttls=False, authenticator=authenticator if auth else None,
                     auth_require_tls=False, hostname="aiosmtpd.test"),
        sock=sock)
    print(sock.getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
