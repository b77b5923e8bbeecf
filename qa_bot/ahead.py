"""Work done ahead, in the background, giving way to users: articles read into the answer model's
kept prefixes (answers then start within a second) and short summaries written to their cache."""
from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from .engines.base import Preempted

log = logging.getLogger(__name__)


@dataclass
class Job:
    """One kind of work per article: ``run(article_id)`` returns True when done (or nothing to do, e.g.
    the article was removed meanwhile), False when it gave way to a user; ``generator()`` is the model it
    needs."""

    name: str
    run: Callable[[str], bool]
    generator: Callable[[], object]


class WorkAhead:
    """A single background thread doing each job for each queued article, one after the other. Only the
    articles' ids wait in the queue (a job reads its article when it runs).

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
        self._queue: "queue.Queue[tuple[Job, str] | None]" = queue.Queue()
        self._thread = threading.Thread(target=self._run, daemon=True, name="qa_bot-work-ahead")
        self._thread.start()

    def submit(self, article_ids: Iterable[str], jobs: list[str] | None = None) -> None:
        """Queue the articles ``article_ids`` for every job (or the named ones), in job order."""
        ids = list(article_ids)
        for job in self.jobs:
            if jobs is None or job.name in jobs:
                for article_id in ids:
                    self._queue.put((job, article_id))

    def pending(self) -> int:
        return self._queue.qsize()

    def stop(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            job, article_id = item
            try:
                self._do(job, article_id)
            except Exception:  # a failed job must not stop the worker; the user can still ask
                log.exception("Background %s of %s failed", job.name, article_id)

    def _do(self, job: Job, article_id: str) -> None:
        while True:
            generator = job.generator()
            while generator.idle_s < self.idle_s:
                time.sleep(0.2)
            try:
                if job.run(article_id):
                    log.info("%s of %s done ahead of time", job.name.capitalize(), article_id)
                    return
            except Preempted:
                pass
            log.debug("Background %s of %s gave way to a user request", job.name, article_id)
