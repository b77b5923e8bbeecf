"""Work done ahead: short summaries of articles computed in the background, giving way to users."""
from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Callable

from .articles import Article
from .generator import Preempted
from .summarizing import Summarizer

log = logging.getLogger(__name__)


class SummariesAhead:
    """A single background thread that fills the summary cache for queued articles.

    It starts a summary only when the model has been idle for ``idle_s`` seconds, and stops it as
    soon as a user's request needs the model (then retries later), so chats never wait for it.
    """

    def __init__(self, summarizer: Callable[[], Summarizer], length: str = "short", idle_s: float = 3.0) -> None:
        if idle_s < 0:
            raise ValueError("idle_s must be >= 0")
        self._summarizer = summarizer
        self.length = length
        self.idle_s = idle_s
        self._queue: "queue.Queue[Article | None]" = queue.Queue()
        self._thread = threading.Thread(target=self._run, daemon=True, name="qa_bot-summaries-ahead")
        self._thread.start()

    def submit(self, articles: list[Article]) -> None:
        for article in articles:
            self._queue.put(article)

    def pending(self) -> int:
        return self._queue.qsize()

    def stop(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        while (article := self._queue.get()) is not None:
            try:
                self._summarize(article)
            except Exception:  # a failed summary must not stop the worker; the user can still ask
                log.exception("Background summary of %s failed", article.id)

    def _summarize(self, article: Article) -> None:
        summarizer = self._summarizer()
        while summarizer.cached(article, self.length) is None:
            while summarizer.generator.idle_s < self.idle_s:
                time.sleep(0.5)
            try:
                for _ in summarizer.stream_one(article, self.length, background=True):
                    pass
                log.info("Summary of %s ready ahead of time", article.id)
            except Preempted:
                log.debug("Background summary of %s gave way to a user request", article.id)
