#!/usr/bin/env python3
"""A real SMTP server on 127.0.0.1 (Debian's python3-aiosmtpd) for tests: every
message it receives is written, exactly as received, to DIR/<n>.eml together
with DIR/<n>.env (JSON: mail_from, rcpt_tos). --host H listens on H (default
127.0.0.1; another loopback address such as 127.0.0.2 stands for a remote
server). Offers no STARTTLS. Prints "PORT <n>" when ready;
stops on SIGTERM or when stdin closes."""
import json
import os
import signal
import socket
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Saver:
    def __init__(self, out):
        self.out = out
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        base = os.path.join(self.out, str(self.n))
        with open(base + ".env", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 Message accepted"


HOST = "127.0.0.1"
for i, a in enumerate(sys.argv):
    if a == "--host":
        HOST = sys.argv[i + 1]


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for _ in range(5):
        port = free_port()
        ctl = Controller(Saver(out), hostname=HOST, port=port)
        try:
            ctl.start()
            break
        except Exception:
            time.sleep(0.1)
    else:
        sys.exit("cannot start the SMTP server")
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print("PORT %d" % port, flush=True)
    if "--stdin-eof" in sys.argv:
        sys.stdin.read()
        os._exit(0)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
