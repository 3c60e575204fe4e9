"""Receivers that count what arrives, each run in its own process.

``python -m bench.sinks smtp|http|proxy HOST:PORT`` starts one and prints a JSON
line ``{"port": ...}`` when it listens; then it answers commands read from
stdin, one per line: ``stats`` (prints ``{"messages", "recipients",
"connections", "bytes"}``), ``reset`` (zeroes the counters) and ``quit``.

* smtp: an aiosmtpd server; a message counts when its DATA is accepted, with
  one recipient per accepted RCPT.
* http: an HTTP/1.1 keep-alive server answering 200 to every POST whose body
  is JSON.
* proxy: a TCP proxy to HOST:PORT (Prosody), counting the connections through
  it; messages are counted by a receiving XMPP client, not here.
"""

import asyncio
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
        with getattr(self, "lock", threading.Lock()):
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


# -- TCP proxy -----------------------------------------------------------------
def start_proxy(counters, host, port, target):
    target_host, _colon, target_port = target.rpartition(":")
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    async def pipe(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def handle(client_reader, client_writer):
        counters.add(connections=1)
        try:
            server_reader, server_writer = await asyncio.open_connection(target_host,
                                                                         int(target_port))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

    def run():
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(asyncio.start_server(handle, host, port))
        ready.set()
        loop.run_forever()
        server.close()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(20)
    return lambda: loop.call_soon_threadsafe(loop.stop)


def main(argv):
    kind = argv[0]
    host, port = "127.0.0.1", free_port()
    counters = Counters()
    if kind == "smtp":
        stop = start_smtp(counters, host, port)
    elif kind == "http":
        stop = start_http(counters, host, port)
    elif kind == "proxy":
        stop = start_proxy(counters, host, port, argv[1])
    else:
        raise SystemExit(f"unknown sink {kind!r}: use smtp, http or proxy")
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
