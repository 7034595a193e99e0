"""ptyexpect.py - drive an interactive program through a pseudo-terminal, as a
person at a terminal would: type, press Tab, read the screen's text.

    s = Session([soarctl, "repl"], env)
    s.expect(r"soar> ")
    s.send("1 + 1\n"); s.expect(r"\n2\r?\n")
    s.close()

Used by the e2e tests of the interactive commands (repl, debug). Only the
standard library; every wait is bounded."""
import os
import pty
import re
import select
import signal
import time


class Timeout(AssertionError):
    pass


class Session:
    def __init__(self, argv, env=None, cols=120, rows=40):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ.update(env or {})
            os.environ["TERM"] = "xterm"
            os.execvp(argv[0], argv)
        import fcntl
        import struct
        import termios
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.buf = ""      # everything read so far
        self.pos = 0       # where the next expect starts looking

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return None
        if not data:
            return None
        self.buf += data.decode("utf-8", "replace")
        return True

    def expect(self, pattern, timeout=10.0):
        """Waits for pattern after the last match; returns the text up to its end."""
        rx = re.compile(pattern, re.S)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf, self.pos)
            if m:
                seen = self.buf[self.pos:m.end()]
                self.pos = m.end()
                return seen
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout("no %r within %.1f s; screen since last match:\n%s"
                              % (pattern, timeout, self.buf[self.pos:][-3000:]))
            if self._read(min(left, 0.2)) is None:
                m = rx.search(self.buf, self.pos)
                if m:
                    continue
                raise Timeout("program ended before %r; output:\n%s" % (pattern, self.buf[self.pos:][-3000:]))

    def send(self, text):
        os.write(self.fd, text.encode())

    def drain(self, quiet=0.3):
        """Reads until the program has been quiet for `quiet` seconds."""
        while self._read(quiet):
            pass
        seen = self.buf[self.pos:]
        self.pos = len(self.buf)
        return seen

    def wait(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._read(0.05)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise Timeout("the program did not exit within %.1f s" % timeout)

    def close(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)
