"""Small HTTP servers on this machine that misbehave on purpose: they answer
slowly one byte at a time, or with more body than anyone should read.

``RawHttpServer(respond)`` listens on 127.0.0.1 (or ``::1``) and calls
``respond(conn, server)`` for each request once its head is read; what the
server wrote is counted in ``server.sent``.
"""

import socket
import threading
import time

__all__ = ["RawHttpServer", "drip_body", "drip_headers", "huge_body"]

#: How long a dripping answer goes on at most: long enough that a client
#: without a working deadline visibly gets the whole answer.
DRIP_FOR = 30.0
DRIP_EVERY = 0.2


class RawHttpServer:
    def __init__(self, respond, host="127.0.0.1"):
        self.respond = respond
        self.host = host
        self.requests = []
        self.sent = 0
        self.done = threading.Event()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, path="/"):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def close(self):
        self.sock.close()

    def write(self, conn, data):
        conn.sendall(data)
        self.sent += len(data)

    def _serve(self):
        while True:
            try:
                conn, _peer = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                head += chunk
            self.requests.append(head.split(b"\r\n", 1)[0].decode("latin-1"))
            try:
                self.respond(conn, self)
            except OSError:
                pass  # the client went away: what a deadline or a cap does
            finally:
                self.done.set()


def _drip(conn, server, data_byte=b"a"):
    stop = time.monotonic() + DRIP_FOR
    while time.monotonic() < stop:
        server.write(conn, data_byte)
        time.sleep(DRIP_EVERY)


def drip_headers(conn, server):
    """A status line, then one header byte at a time, for DRIP_FOR seconds."""
    server.write(conn, b"HTTP/1.1 200 OK\r\nX-Drip: ")
    _drip(conn, server)
    server.write(conn, b"\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")


def drip_body(conn, server):
    """Headers at once, then the body one byte at a time."""
    length = int(DRIP_FOR / DRIP_EVERY) + 10
    server.write(conn, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                       b"Content-Length: %d\r\n\r\n" % length)
    _drip(conn, server)
    server.write(conn, b"a" * 10)


def huge_body(status=200, size=300 * 1024 * 1024, head=b"", tail=b"TAIL-MARKER"):
    """An answer with a ``size``-byte body: ``head``, filler, ``tail``."""

    def respond(conn, server):
        server.write(conn, b"HTTP/1.1 %d Whatever\r\nContent-Type: text/plain\r\n"
                           b"Content-Length: %d\r\n\r\n" % (status, size))
        server.write(conn, head)
        block = b"A" * 65536
        left = size - len(head) - len(tail)
        while left > 0:
            server.write(conn, block[:left])
            left -= len(block)
        server.write(conn, tail)

    return respond
