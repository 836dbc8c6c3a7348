#!/usr/bin/env python3
"""A reference FTP server for the tests: pyftpdlib (Debian: python3-pyftpdlib) serving ROOT,
anonymous with write access, on 127.0.0.1 and a free port it prints as "PORT n".

    /usr/bin/python3 ftp_pyftpdlib_server.py ROOT
"""
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

logging.basicConfig(level=logging.WARNING)
authorizer = DummyAuthorizer()
authorizer.add_anonymous(sys.argv[1], perm="elradfmw")
handler = FTPHandler
handler.authorizer = authorizer
handler.permit_privileged_ports = False
server = FTPServer(("127.0.0.1", 0), handler)
print("PORT %d" % server.socket.getsockname()[1], flush=True)
server.serve_forever()
