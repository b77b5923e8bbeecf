"""Helpers for the UI tests: free ports, an in-process qa_bot server, a host page on another origin, Chromium."""
from __future__ import annotations

import contextlib
import functools
import http.server
import socket
import threading
from pathlib import Path
from typing import Iterator

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ANSWER_TIMEOUT_MS = 120_000  # one answer with the default 1.5B model on 2 CPU cores, with margin
SEED_QUESTION = "How many soldiers has Russia moved near Ukraine?"
SEED_FACT = "100,000"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_ui(bot, **settings) -> Iterator[str]:
    """Serve the qa_bot UI over ``bot`` on a free port; yields its base URL (no trailing slash)."""
    from qa_bot.ui import UIServer, UISettings, create_app

    config = UISettings(**{"port": free_port(), **settings})
    server = UIServer(create_app(bot, config), "127.0.0.1", config.port).start()
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.stop()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        pass


@contextlib.contextmanager
def static_site(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on another port (a different origin); yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
