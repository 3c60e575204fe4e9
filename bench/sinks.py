"""Receivers that count what arrives, each run in its own process.

``python -m bench.sinks smtp|http [--delay-ms [MS]]`` starts one and prints
a JSON line ``{"host", "port", "delay_ms"}`` when it listens; then it answers
commands read from stdin, one per line: ``stats`` (prints ``{"messages",
"recipients", "connections", "requests", "bytes", "bad"}``), ``reset`` (zeroes
the counters), ``arrivals`` (prints ``{"times": [...], "recipients": {address:
count}, "when": {address: first arrival}}``: when each message arrived and how
often each address got one, since the last reset) and ``quit``.

* smtp: an aiosmtpd server; a message counts when its DATA is accepted, with
  one recipient per accepted RCPT.
* http: an HTTP/1.1 keep-alive server answering 200 to every POST whose body
  is JSON.  It also speaks enough of Postmark's API for the postmark-batch
  case: ``.../email/withTemplate`` counts one message to its ``To``,
  ``.../email/batchWithTemplates`` one per entry of ``Messages`` (answered
  with one result per message, as Postmark does).

``--delay-ms`` makes the receiver answer each message (SMTP DATA, HTTP POST)
that many milliseconds late (20 when given without a number), as a provider
on the network would: sending becomes latency-bound, as it is in production.
"""

import argparse
import asyncio
import json
import socket
import sys
import threading
import time
from collections import Counter
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
            self.requests = 0
            self.bytes = 0
            self.bad = 0
            self.times = []
            self.addresses = Counter()
            self.when = {}

    def add(self, **counts):
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def arrived(self, addresses):
        """One message to ``addresses`` arrived now."""
        now = time.time()
        with self.lock:
            self.times.append(now)
            self.addresses.update(addresses)
            for address in addresses:
                self.when.setdefault(address, now)

    def as_dict(self):
        with self.lock:
            return {"messages": self.messages, "recipients": self.recipients,
                    "connections": self.connections, "requests": self.requests,
                    "bytes": self.bytes, "bad": self.bad}

    def arrivals(self):
        with self.lock:
            return {"times": list(self.times), "recipients": dict(self.addresses),
                    "when": dict(self.when)}


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


# -- SMTP ----------------------------------------------------------------------
def start_smtp(counters, host, port, delay=0.0):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            if delay:
                await asyncio.sleep(delay)
            content = envelope.original_content or b""
            ok = bool(content) and b"\r\n\r\n" in content
            counters.add(messages=1 if ok else 0, recipients=len(envelope.rcpt_tos) if ok else 0,
                         requests=1, bytes=len(content), bad=0 if ok else 1)
            if ok:
                counters.arrived(envelope.rcpt_tos)
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
POSTMARK_OK = {"SubmittedAt": "2026-01-01T00:00:00Z", "ErrorCode": 0, "Message": "OK"}


def http_answer(path, document):
    """``(addresses, answer)`` for one accepted POST: Postmark's endpoints
    answer per message; any other path is one message to its path."""
    if path.endswith("/email/batchWithTemplates"):
        addresses = [message["To"] for message in document["Messages"]]
        return addresses, [{**POSTMARK_OK, "To": to, "MessageID": f"bench-{to}"}
                           for to in addresses]
    if path.endswith("/email/withTemplate"):
        return [document["To"]], {**POSTMARK_OK, "To": document["To"], "MessageID": "bench"}
    return [path], None


def start_http(counters, host, port, delay=0.0):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            counters.add(connections=1)

        def do_POST(self):  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if delay:
                time.sleep(delay)
            try:
                addresses, answer = http_answer(self.path, json.loads(body))
            except (ValueError, KeyError, TypeError):
                counters.add(bad=1, requests=1)
                self.send_response(400)
                answer = None
            else:
                counters.add(messages=len(addresses), recipients=len(addresses), requests=1,
                             bytes=len(body))
                for address in addresses:
                    counters.arrived([address])
                self.send_response(200)
            data = b"" if answer is None else json.dumps(answer).encode()
            if data:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):  # noqa: A002 - quiet
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.shutdown


#: The delay of ``--delay-ms`` given without a number: a provider 20 ms away.
DEFAULT_DELAY_MS = 20


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.sinks")
    parser.add_argument("kind", choices=["smtp", "http"])
    parser.add_argument("--delay-ms", type=float, nargs="?", const=DEFAULT_DELAY_MS, default=0,
                        help="answer each message this late (default when given: "
                             f"{DEFAULT_DELAY_MS} ms)")
    options = parser.parse_args(argv)
    if options.delay_ms < 0:
        parser.error("--delay-ms must not be negative")
    return options


def main(argv):
    options = parse_args(argv)
    host, port = "127.0.0.1", free_port()
    counters = Counters()
    start = start_smtp if options.kind == "smtp" else start_http
    stop = start(counters, host, port, delay=options.delay_ms / 1000)
    print(json.dumps({"host": host, "port": port, "delay_ms": options.delay_ms}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "stats":
            print(json.dumps(counters.as_dict()), flush=True)
        elif command == "arrivals":
            print(json.dumps(counters.arrivals()), flush=True)
        elif command == "reset":
            counters.reset()
            print(json.dumps({"ok": True}), flush=True)
        elif command == "quit":
            break
    stop()


if __name__ == "__main__":
    main(sys.argv[1:])
