"""A real webhook receiver for the tests: an HTTP server on 127.0.0.1 in a thread, which keeps
every request it gets and what it answered."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int | None = None  # the status sent back; None if the connection was dropped


@dataclass
class Receiver:
    answers: list[int] = field(default_factory=list)  # answered in turn, then 200
    requests: list[Received] = field(default_factory=list)
    # Set `hold`: the next request waits until `release` is set, then is dropped unanswered.
    hold: bool = False
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                got = Received(
                    {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
                )
                with receiver.lock:
                    receiver.requests.append(got)
                    held = receiver.hold
                    receiver.hold = False
                    status = receiver.answers.pop(0) if receiver.answers else 200
                if held:
                    receiver.holding.set()
                    receiver.release.wait(timeout=60)
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()
                got.answered = status

            def log_message(self, *args) -> None:
                pass

        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/icn"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def acknowledged(self) -> dict[str, int]:
        """2xx answers by webhook-id."""
        counts: dict[str, int] = {}
        with self.lock:
            for r in self.requests:
                if r.answered is not None and 200 <= r.answered < 300:
                    counts[r.headers["webhook-id"]] = counts.get(r.headers["webhook-id"], 0) + 1
        return counts

    def verified(self, secret: str) -> list[dict]:
        """Every request's payload, each verified with the subscriber's secret (raises if a
        signature is wrong)."""
        with self.lock:
            requests = list(self.requests)
        return [Webhook(secret).verify(r.body, r.headers) for r in requests]
