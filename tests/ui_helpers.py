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


class StubGenerator:
    """Stands in for the language model in fast UI tests: a fixed reply citing passage 1, streamed word by
    word, ``delay`` seconds apart (so a test can see the chat before the answer is complete)."""

    name = "stub"

    def __init__(self, reply: str = "73 pelicans [1]", delay: float = 0.0) -> None:
        self.reply = reply
        self.delay = delay

    def stream(self, messages: list[dict], max_new_tokens: int = 64, background: bool = False,
               cache_upto: str | None = None) -> Iterator[str]:
        import time

        for word in self.reply.split(" "):
            time.sleep(self.delay)
            yield word + " "

    def __call__(self, messages: list[dict], max_new_tokens: int = 64, background: bool = False,
                 cache_upto: str | None = None) -> str:
        return "".join(self.stream(messages, max_new_tokens)).strip()

    def has_prefix(self, messages: list[dict], cache_upto: str | None = None) -> bool:
        return False

    def warm(self, messages: list[dict], cache_upto: str | None = None) -> bool:
        return False

    def count_tokens(self, text: str) -> int:
        return len(text.split())


PELICANS = ("Pelican count at Lake Orm\n\nThe sanctuary at Lake Orm counted 73 pelicans this spring, "
            "its warden Tomas Vik said. Volunteers counted the birds from boats over three mornings.")


def stub_bot(folder: Path, delay: float = 0.0):
    """A real Bot (index, ingest, limits) over one pelican article whose models are stand-ins: a hashed
    embedder and :class:`StubGenerator`; nothing here loads a language model."""
    from conftest import HashEmbedder
    from qa_bot import Bot

    bot = Bot(index_dir=folder / "index", cache_dir=folder / "cache", summarize_ahead=False,
              read_ahead_tokens=0, min_relevance=0.0, allow_private_urls=True)
    bot._embedder = HashEmbedder()
    generator = StubGenerator(delay=delay)
    bot._generators[bot.config.answer_model] = generator
    bot._generators[bot.config.generator] = generator
    bot.ingest_text(PELICANS)
    return bot
