#!/usr/bin/env python3
"""A slow API for benchmarks: thousands of concurrent connections on one asyncio loop.

Listens on 127.0.0.1 (a free port, or --port) and prints "PORT <n>" as its first line
on stdout. Every request (any method, any path) is answered 200 with a small JSON body
after ?ms=N milliseconds (default --delay, 200), on a keep-alive HTTP/1.1 connection:

  GET /delay?ms=200   ->  (200 ms later) {"ok": true}

standin.py has the vendor stand-ins and a /delay route too, but a thread per connection
(Python's ThreadingHTTPServer) costs more than the wait being measured once there are a
thousand of them; this one does not. Stops on SIGTERM or when stdin closes (--stdin-eof).
"""
import argparse
import asyncio
import signal
import sys
import urllib.parse

BODY = b'{"ok": true}'


async def handle(reader, writer, default_ms):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            target = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip() or 0)
            if length:
                await reader.readexactly(length)
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
            ms = int(q.get("ms", [default_ms])[0])
            if ms > 0:
                await asyncio.sleep(ms / 1000.0)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError, IndexError):
        pass
    finally:
        writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--delay", type=int, default=200, help="ms when the request gives no ?ms=")
    ap.add_argument("--stdin-eof", action="store_true", help="stop when stdin closes")
    args = ap.parse_args()
    server = await asyncio.start_server(lambda r, w: handle(r, w, args.delay), "127.0.0.1",
                                        args.port, backlog=4096, reuse_address=True)
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result(None))
    loop.add_signal_handler(signal.SIGINT, lambda: stop.done() or stop.set_result(None))
    if args.stdin_eof:
        loop.add_reader(sys.stdin.fileno(), lambda: (sys.stdin.buffer.read1(4096) or
                                                     stop.done() or stop.set_result(None)))
    async with server:
        await stop


if __name__ == "__main__":
    asyncio.run(main())
