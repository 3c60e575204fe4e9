"""Receivers that count what arrives, each run in its own process.

``python -m bench.sinks smtp|http`` starts one and prints a JSON
line ``{"port": ...}`` when it listens; then it answers commands read from
stdin, one per line: ``stats`` (prints ``{"messages", "recipients",
"connections", "bytes"}``), ``reset`` (zeroes the counters) and ``quit``.

* smtp: an aiosmtpd server; a message counts when its DATA is accepted, with
  one recipient per accepted RCPT.
* http: an HTTP/1.1 keep-alive server answering 200 to every POST whose body
  is JSON.
"""

import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.messages = 0
            self.recipients = 0
            self.connections = 0
            self.bytes = 0
            self.bad = 0

    def add(self, **counts):
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self):
        with self.lock:
            return {"messages": self.messages, "recipients": self.recipients,
                    "connections": self.connections, "bytes": self.bytes, "bad": self.bad}


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


# -- SMTP ----------------------------------------------------------------------
def start_smtp(counters, host, port):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            content = envelope.original_content or b""
            ok = bool(content) and b"\r\n\r\n" in content
            counters.add(messages=1 if ok else 0, recipients=len(envelope.rcpt_tos) if ok else 0,
                         bytes=len(content), bad=0 if ok else 1)
            return "250 Message accepted for delivery"

    counting = threading.Event()

    class CountingController(Controller):
        def factory(self):
            if counting.is_set():  # aiosmtpd connects to itself once when starting
                counters.add(connections=1)
            return SMTP(self.handler, decode_data=False, **self.SMTP_kwargs)

    controller = CountingController(Handler(), hostname=host, port=port, ready_timeout=20,
                                    data_size_limit=0)
    controller.start()
    counting.set()
    return controller.stop


# -- HTTP ----------------------------------------------------------------------
def start_http(counters, host, port):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            counters.add(connections=1)

        def do_POST(self):  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            try:
                json.loads(body)
            except ValueError:
                counters.add(bad=1)
                self.send_response(400)
            else:
                counters.add(messages=1, recipients=1, bytes=len(body))
                self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):  # noqa: A002 - quiet
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.shutdown


def main(argv):
    kind = argv[0]
    host, port = "127.0.0.1", free_port()
    counters = Counters()
    if kind == "smtp":
        stop = start_smtp(counters, host, port)
    elif kind == "http":
        stop = start_http(counters, host, port)
    else:
        raise SystemExit(f"unknown sink {kind!r}: use smtp or http")
    print(json.dumps({"host": host, "port": port}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "stats":
            print(json.dumps(counters.as_dict()), flush=True)
        elif command == "reset":
            counters.reset()
            print(json.dumps({"ok": True}), flush=True)
        elif command == "quit":
            break
    stop()


if __name__ == "__main__":
    main(sys.argv[1:])
