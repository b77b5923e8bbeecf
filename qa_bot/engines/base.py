"""The engine interface: chat messages in, text pieces out, with a fair queue in front.

An engine runs on one or more *slots* (independent decoding streams). :class:`Engine` owns the
queue: users' requests are served first come, first served; background work (articles read ahead,
summaries written ahead) only runs on a slot no user is waiting for, and gives way as soon as one
is. Every request can be cancelled (Stop, a closed tab): its slot is free again within one token.
Subclasses only say how one slot writes a reply (:meth:`Engine._generate`).
"""
from __future__ import annotations

import contextlib
import contextvars
import itertools
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

log = logging.getLogger(__name__)

Message = dict[str, str]


class Preempted(RuntimeError):
    """Background generation stopped to let a user's request run first."""


class EngineBusy(RuntimeError):
    """A request waited longer than the engine's bound; the message is meant for the user."""


class Cancelled(RuntimeError):
    """The request was cancelled before it produced its reply."""


@dataclass
class Control:
    """A user's handle on everything the engines do for one reply (a question may take several
    generations): Stop cancels them all; while waiting, ``ahead`` says how many requests come first."""

    cancel: threading.Event = field(default_factory=threading.Event)
    ahead: int = 0
    waiting: bool = False

    def stop(self) -> None:
        self.cancel.set()


_CONTROL: contextvars.ContextVar[Control | None] = contextvars.ContextVar("qa_bot_control", default=None)


@contextlib.contextmanager
def controlled(control: Control) -> Iterator[Control]:
    """Generations started in this context (this thread) obey ``control``."""
    token = _CONTROL.set(control)
    try:
        yield control
    finally:
        _CONTROL.reset(token)


@dataclass
class Request:
    """One generation: what to write, how much, and how it may be stopped."""

    messages: Sequence[Message]
    max_tokens: int = 64
    background: bool = False
    cache_upto: str | None = None  # keep the prompt's state up to the end of this text (see warm)
    stop: Sequence[str] = ()
    cancel: threading.Event = field(default_factory=threading.Event)
    on_wait: Callable[[int], None] | None = None  # told how many requests are ahead while waiting
    seq: int = 0
    control: Control | None = None

    def should_stop(self) -> bool:
        return self.cancel.is_set() or (self.control is not None and self.control.cancel.is_set())

    def waiting(self, ahead: int | None) -> None:
        """Note the request's place in the queue (None: it got a slot)."""
        if self.control is not None:
            self.control.waiting, self.control.ahead = ahead is not None, ahead or 0
        if self.on_wait is not None and ahead is not None:
            self.on_wait(ahead)


class Engine:
    """Base class: the queue, slots, cancellation and the calling conventions.

    ``stream(messages, max_new_tokens)`` yields the reply piece by piece; ``engine(messages, n)``
    returns it whole. ``max_wait_s`` bounds how long a user's request may wait for a slot.
    """

    name: str = "engine"

    def __init__(self, slots: int = 1, max_wait_s: float = 300.0) -> None:
        if slots < 1:
            raise ValueError("slots must be >= 1")
        if max_wait_s <= 0:
            raise ValueError("max_wait_s must be > 0")
        self.slots = slots
        self.max_wait_s = max_wait_s
        self._cond = threading.Condition()
        self._free = list(range(slots))
        self._waiting: list[Request] = []  # users' requests waiting for a slot, oldest first
        self._running: dict[int, Request] = {}  # slot -> request
        self._seq = itertools.count()
        self._last_used = time.monotonic()

    # ---- what subclasses provide ----------------------------------------------------------------
    def _generate(self, slot: int, request: Request) -> Iterator[str]:
        """Write the reply to ``request`` on ``slot``, checking ``request.should_stop()`` often."""
        raise NotImplementedError

    def count_tokens(self, text: str) -> int:
        raise NotImplementedError

    def has_prefix(self, messages: Sequence[Message], cache_upto: str | None = None) -> bool:
        """Is the prompt's prefix up to ``cache_upto`` already read and kept? (engines without
        prompt caching: never)."""
        return False

    def warm(self, messages: Sequence[Message], cache_upto: str) -> bool:
        """Read a prompt's prefix ahead of time (background work). False when a user interrupted it."""
        return True

    @property
    def kv_bytes_per_token(self) -> int:
        """Memory one kept prompt token takes (0: the engine keeps none)."""
        return 0

    def close(self) -> None:
        """Free the engine's resources."""

    # ---- status -----------------------------------------------------------------------------------
    @property
    def idle_s(self) -> float:
        """Seconds since the engine last finished something (0 while a request runs or waits)."""
        with self._cond:
            if self._waiting or self._running:
                return 0.0
            return time.monotonic() - self._last_used

    def waiting(self) -> int:
        """Users' requests waiting for a slot now."""
        with self._cond:
            return len(self._waiting)

    # ---- the queue --------------------------------------------------------------------------------
    def _acquire(self, request: Request) -> int:
        """A free slot for ``request``: users in arrival order, background work only when no user
        waits. Raises Cancelled, Preempted (background) or EngineBusy (waited too long)."""
        deadline = time.monotonic() + self.max_wait_s
        told = -1
        with self._cond:
            if request.background:
                if self._waiting or not self._free:
                    raise Preempted("users are waiting for the model")
                slot = self._free.pop(0)
                self._running[slot] = request
                return slot
            self._waiting.append(request)
            self._preempt_background()
            try:
                while True:
                    if request.should_stop():
                        raise Cancelled("cancelled while waiting")
                    ahead = self._waiting.index(request)
                    if ahead == 0 and self._free:
                        slot = self._free.pop(0)
                        self._running[slot] = request
                        request.waiting(None)
                        return slot
                    busy = sum(1 for r in self._running.values() if not r.background)
                    if ahead + busy != told:
                        told = ahead + busy
                        request.waiting(told)
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise EngineBusy(f"The bot is busy ({ahead + len(self._running)} requests ahead). "
                                         "Please try again in a minute.")
                    self._cond.wait(min(0.25, left))
            finally:
                self._waiting.remove(request)
                self._cond.notify_all()

    def _preempt_background(self) -> None:
        """Ask running background work to give way when a user waits and no slot is free."""
        if not self._free:
            for running in self._running.values():
                if running.background:
                    running.cancel.set()

    def _release(self, slot: int) -> None:
        with self._cond:
            self._running.pop(slot, None)
            self._free.append(slot)
            self._free.sort()
            self._last_used = time.monotonic()
            self._cond.notify_all()

    # ---- calling conventions ----------------------------------------------------------------------
    def stream(self, messages: Sequence[Message], max_new_tokens: int = 64, background: bool = False,
               cache_upto: str | None = None, cancel: threading.Event | None = None,
               on_wait: Callable[[int], None] | None = None, stop: Sequence[str] = ()) -> Iterator[str]:
        """The reply, piece by piece. Closing the iterator early (a user's Stop) cancels the request.

        ``background`` work raises :class:`Preempted` when a user needs its slot. ``cache_upto``: keep
        the prompt's state up to the end of this text for later prompts that start the same way.
        """
        if max_new_tokens < 1:
            raise ValueError("max_new_tokens must be >= 1")
        request = Request(list(messages), max_new_tokens, background, cache_upto, tuple(stop),
                          cancel or threading.Event(), on_wait, next(self._seq), _CONTROL.get())
        slot = self._acquire(request)
        pieces: "queue.Queue[str | BaseException | None]" = queue.Queue()

        def run() -> None:
            try:
                for piece in self._generate(slot, request):
                    if request.should_stop():
                        break
                    pieces.put(piece)
            except BaseException as exc:  # surfaced to the consumer
                pieces.put(exc)
            finally:
                self._release(slot)
                pieces.put(None)

        threading.Thread(target=run, daemon=True, name=f"qa_bot-engine-slot{slot}").start()
        finished = False
        try:
            while (item := pieces.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
            finished = True
        finally:
            if not finished:
                request.cancel.set()  # the consumer stopped early: free the slot
        if background and request.should_stop():
            raise Preempted("a user's request needed the model")

    def __call__(self, messages: Sequence[Message], max_new_tokens: int = 64, background: bool = False,
                 cache_upto: str | None = None, **kwargs) -> str:
        """The model's whole reply to ``messages``."""
        return "".join(self.stream(messages, max_new_tokens, background, cache_upto, **kwargs))
