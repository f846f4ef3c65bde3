"""The session app served over real HTTP for browser and concurrency tests."""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import Flask
from werkzeug.serving import make_server


@dataclass
class LiveServer:
    url: str
    errors: list[str] = field(default_factory=list)  # tracebacks raised inside requests

    def __str__(self) -> str:
        return self.url


class _ErrorRecorder(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.into.append(text)


@contextmanager
def serve(app: Flask) -> Iterator[LiveServer]:
    """``app`` on 127.0.0.1 on a free port, one thread per request as in production."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    live = LiveServer(f"http://127.0.0.1:{server.server_port}")
    recorder = _ErrorRecorder(live.errors)
    app.logger.addHandler(recorder)  # errors.py logs every unhandled exception there
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.logger.removeHandler(recorder)
