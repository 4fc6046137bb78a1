"""A real local HTTP server in a thread that records the webhooks it receives and answers with chosen status codes;
a slow one (`hold`) keeps each request unanswered until the test lets it go, as a campaign tool taking its time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    answers: list[int] = field(default_factory=list)  # status codes to answer in turn; 200 once they run out
    received: list[Received] = field(default_factory=list)
    hold: threading.Event | None = None  # set: each request waits for it (at most HOLD_SECONDS) before its answer
    arrived: threading.Event = field(default_factory=threading.Event)  # a request is in (and held, with `hold`)
    answered: threading.Event = field(default_factory=threading.Event)  # an answer went out


# A held request is answered anyway by then, so a failing test ends; under the senders' 10 s timeout, so a request
# not answered yet is one its sender still waits for (it has not given up and moved on)
HOLD_SECONDS = 8


@contextmanager
def webhook_receiver(*, hold: threading.Event | None = None) -> Iterator[Receiver]:
    receiver = Receiver(url='', hold=hold)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
            receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status = receiver.answers.pop(0) if receiver.answers else 200
            receiver.arrived.set()
            hold = receiver.hold  # (a test may give the next request a new one)
            if hold is not None:
                hold.wait(HOLD_SECONDS)
            receiver.answered.set()
            self.send_response(status)
            self.send_header('Content-Length', '2')
            self.end_headers()
            self.wfile.write(b'ok')

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    receiver.url = f'http://127.0.0.1:{server.server_address[1]}/hooks/backoffice'
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        if receiver.hold is not None:
            receiver.hold.set()  # a request still held is answered, so the server can stop
        server.shutdown()
        server.server_close()
