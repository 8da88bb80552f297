"""A real local HTTP receiver for webhook tests: records every request, answers from a script."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    url: str
    #: What to answer, one entry per request (then the last one again): a status, or
    #: ("sleep", seconds) to answer 200 after a delay, or (status, {"Header": "v"}).
    script: list[Any] = field(default_factory=lambda: [200])
    requests: list[dict[str, Any]] = field(default_factory=list)

    def bodies(self) -> list[Any]:
        return [r["json"] for r in self.requests]


@contextmanager
def receiver(
    script: list[Any] | None = None, path: str = "/services/T000/B000/s3cr3tT0ken"
) -> Iterator[Receiver]:
    state = Receiver(url="", script=list(script or [200]))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            state.requests.append(
                {"path": self.path, "headers": dict(self.headers), "json": json.loads(raw.decode("utf-8"))}
            )
            step = state.script[min(len(state.requests) - 1, len(state.script) - 1)]
            headers: dict[str, str] = {}
            if isinstance(step, tuple) and step[0] == "sleep":
                time.sleep(step[1])
                status = 200
            elif isinstance(step, tuple):
                status, headers = step
            else:
                status = step
            body = b"ok" if status < 300 else b"no"
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests): nothing to answer

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
