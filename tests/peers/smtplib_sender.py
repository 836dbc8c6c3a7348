#!/usr/bin/env python3
"""Sends numbered messages with Python's smtplib over one SMTP session and prints the server's
final reply to each DATA as it comes ("250 2.0.0 Ok: queued as <id>"), flushed at once, so a test
knows exactly which messages the server acknowledged, even if the server dies mid-flood.

usage: smtplib_sender.py HOST PORT COUNT [SUBJECT [FILE]]   (COUNT 0 = until the server goes away)
With FILE, each message is that file's bytes as they are (smtplib only dot-stuffs them).
"""
import smtplib
import sys
from email.message import EmailMessage

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
subject = sys.argv[4] if len(sys.argv) > 4 else "flood"
file = open(sys.argv[5], "rb").read() if len(sys.argv) > 5 else None
try:
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        smtp.ehlo("smtplib-sender")
        i = 0
        while count == 0 or i < count:
            i += 1
            message = EmailMessage()
            message["From"] = "sender@netlab.test"
            message["To"] = "inbox@netlab.test"
            message["Subject"] = f"{subject} {i}"
            message.set_content(f"message number {i}\n" + "x" * 200 + "\n")
            code, text = smtp.mail("sender@netlab.test")
            if code != 250:
                print(f"{code} {text.decode()}", flush=True)
                continue
            smtp.rcpt("inbox@netlab.test")
            code, text = smtp.data(file if file is not None else message.as_bytes())
            print(f"{code} {text.decode()}", flush=True)
except (OSError, smtplib.SMTPException) as e:
    print(f"ERROR {type(e).__name__}: {e}", flush=True)
    sys.exit(1)
