"""Work done ahead, in the background, giving way to users: articles read into the answer model's
kept prefixes (answers then start within a second) and short summaries written to their cache."""
from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable

from .articles import Article
from .engines.base import Preempted

log = logging.getLogger(__name__)


@dataclass
class Job:
    """One kind of work per article: ``run(article)`` returns True when done (or nothing to do),
    False when it gave way to a user; ``generator()`` is the model it needs."""

    name: str
    run: Callable[[Article], bool]
    generator: Callable[[], object]


class WorkAhead:
    """A single background thread doing each job for each queued article, one after the other.

    A job starts only when its model has been idle for ``idle_s`` seconds and stops as soon as a
    user's request needs the model (then retries later), so chats never wait for it.
    """

    def __init__(self, jobs: list[Job], idle_s: float = 3.0) -> None:
        if idle_s < 0:
            raise ValueError("idle_s must be >= 0")
        if not jobs:
            raise ValueError("no jobs to do ahead")
        self.jobs = jobs
        self.idle_s = idle_s
        self._queue: "queue.Queue[tuple[Job, Article] | None]" = queue.Queue()
        self._thread = threading.Thread(target=self._run, daemon=True, name="qa_bot-work-ahead")
        self._thread.start()

    def submit(self, articles: list[Article], jobs: list[str] | None = None) -> None:
        """Queue ``articles`` for every job (or the named ones), in job order."""
        for job in self.jobs:
            if jobs is None or job.name in jobs:
                for article in articles:
                    self._queue.put((job, article))

    def pending(self) -> int:
        return self._queue.qsize()

    def stop(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            job, article = item
            try:
                self._do(job, article)
            except Exception:  # a failed job must not stop the worker; the user can still ask
                log.exception("Background %s of %s failed", job.name, article.id)

    def _do(self, job: Job, article: Article) -> None:
        while True:
            generator = job.generator()
            while generator.idle_s < self.idle_s:
                time.sleep(0.2)
            try:
                if job.run(article):
                    log.info("%s of %s done ahead of time", job.name.capitalize(), article.id)
                    return
            except Preempted:
                pass
            log.debug("Background %s of %s gave way to a user request", job.name, article.id)
