"""Limits of a public widget: requests per minute and articles added per client and per address (all its
sessions together), wrong admin passwords per address, and the size of a request body.

A client is a Gradio session (a browser tab, a ``gradio_client.Client``) or, for plain HTTP calls
(``/gradio_api/call/...``, where every call is otherwise a session of its own), the caller's address.
Counting uses sliding windows (thread-safe, with an injectable clock for tests). A refused request
raises :class:`LimitExceeded` (a ``ValueError`` with the message for the user) before anything is done.
Budgets whose count is known only afterwards (articles added, wrong passwords) are reserved before the action
and settled after it (:class:`Reservation`), so that requests sent together cannot all pass the check first.
"""
from __future__ import annotations

import collections
import json
import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Clock = Callable[[], float]

MINUTE = 60.0
UPLOAD_WINDOW = 3600.0  # articles added per session are counted over the last hour
PASSWORD_FAILURES = 10  # wrong admin passwords per address ...
PASSWORD_WINDOW = 900.0  # ... per quarter of an hour


class LimitExceeded(ValueError):
    """A request refused by a limit; ``retry_after`` is in seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def wait_text(seconds: float) -> str:
    """A short, rounded-up duration: "12 s", "3 min"."""
    seconds = max(1, math.ceil(seconds))
    return f"{seconds} s" if seconds < 120 else f"{math.ceil(seconds / 60)} min"


class SlidingWindowLimiter:
    """At most ``limit`` events per ``window`` seconds per key (``limit <= 0``: no limit). Thread-safe."""

    def __init__(self, limit: int, window: float, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[str, Deque[float]] = {}
        self._lock = threading.Lock()
        self._pruned = clock()

    def _recent(self, key: str, now: float) -> Deque[float]:
        """The key's events within the window (older ones dropped); call with the lock held."""
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = collections.deque()
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def _wait(self, events: Deque[float], now: float) -> float:
        if self.limit <= 0 or len(events) < self.limit:
            return 0.0
        return events[len(events) - self.limit] + self.window - now

    def _prune(self, now: float) -> None:
        """Forget keys without recent events (bounded memory however many sessions come and go)."""
        if now - self._pruned >= self.window:
            self._pruned = now
            for key in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window]:
                del self._events[key]

    def wait_time(self, key: str) -> float:
        """Seconds until ``key`` may have another event (0: now); records nothing."""
        if self.limit <= 0:
            return 0.0
        with self._lock:
            now = self.clock()
            self._prune(now)
            events = self._events.get(key)
            if not events:
                return 0.0
            return self._wait(self._recent(key, now), now)

    def acquire(self, key: str) -> float:
        """Record an event for ``key`` if allowed and return 0; otherwise record nothing, return the wait."""
        if self.limit <= 0:
            return 0.0
        with self._lock:
            now = self.clock()
            self._prune(now)
            events = self._recent(key, now)
            wait = self._wait(events, now)
            if wait <= 0:
                events.append(now)
            return wait

    def record(self, key: str, count: int = 1) -> None:
        """Record ``count`` events for ``key`` (after an action that was allowed by :meth:`wait_time`)."""
        if self.limit <= 0 or count <= 0:
            return
        with self._lock:
            now = self.clock()
            self._prune(now)
            self._recent(key, now).extend([now] * count)

    def hold(self, key: str) -> float | None:
        """Record one provisional event for ``key`` and return its time, to :meth:`settle` later (None: no
        limit, nothing recorded). The caller checks :meth:`wait_time` first, under a lock of its own."""
        if self.limit <= 0:
            return None
        with self._lock:
            now = self.clock()
            self._prune(now)
            self._recent(key, now).append(now)
            return now

    def settle(self, key: str, held: float | None, count: int) -> None:
        """Replace the event :meth:`hold` recorded at ``held`` by ``count`` events now (0: just drop it).

        One step under the lock, so that no check in between sees the held slot free before the real
        count is in. A held event that has left the window meanwhile is already gone."""
        if self.limit <= 0:
            return
        with self._lock:
            now = self.clock()
            self._prune(now)
            events = self._recent(key, now)
            if held is not None:
                try:
                    events.remove(held)  # events at the same time are alike: any one of them will do
                except ValueError:
                    pass
            events.extend([now] * max(count, 0))

    def __len__(self) -> int:
        """How many keys are tracked."""
        return len(self._events)


@dataclass(frozen=True)
class Client:
    """Who is asking: the Gradio session and the caller's address (plain HTTP calls count per address)."""

    session: str = ""
    address: str = ""
    plain_http: bool = False

    @property
    def key(self) -> str:
        if self.plain_http or not self.session:
            return f"address:{self.address or 'local'}"
        return f"session:{self.session}"

    @property
    def address_key(self) -> str:
        """The key of every session from the same address."""
        return f"address:{self.address or 'local'}"

    @classmethod
    def of(cls, request: Any) -> "Client":
        """The client of a ``gr.Request`` (None, e.g. a direct Python call: the local client)."""
        if request is None:
            return cls()
        host = getattr(getattr(request, "client", None), "host", None) or ""
        try:
            path = str(request.url.path)
        except AttributeError:
            path = ""
        return cls(session=getattr(request, "session_hash", None) or "", address=host,
                   plain_http="/gradio_api/call/" in path)


LOCAL = Client()


class Reservation:
    """A slot of a budget, held by one request from its check until it knows what to count.

    :meth:`settle` counts the real number in place of the slot (0 releases it). As a context manager, a
    reservation not settled by the end of the block (the action failed, or counted nothing) is released."""

    def __init__(self, settle: Callable[[int], None]) -> None:
        self._settle = settle
        self.settled = False

    def settle(self, count: int) -> None:
        """Count ``count`` events instead of the held slot (0: release it); later calls do nothing."""
        if not self.settled:
            self.settled = True
            self._settle(count)

    def release(self) -> None:
        """Give the slot back: the request counted nothing."""
        self.settle(0)

    def __enter__(self) -> "Reservation":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


class Limits:
    """The per-client budgets of one server: requests per minute, articles added per hour and wrong admin
    passwords per quarter of an hour."""

    def __init__(self, requests_per_minute: int = 0, uploads_per_session: int = 0,
                 clock: Clock = time.monotonic, *, address_requests_per_minute: int = 0,
                 address_uploads_per_hour: int = 0) -> None:
        """Budgets per client (session, or address for plain HTTP) and, so that opening new sessions does
        not reset them, for all clients of one address together (``address_*``; 0: no such limit)."""
        self.requests = SlidingWindowLimiter(requests_per_minute, MINUTE, clock)
        self.uploads = SlidingWindowLimiter(uploads_per_session, UPLOAD_WINDOW, clock)
        self.address_requests = SlidingWindowLimiter(address_requests_per_minute, MINUTE, clock)
        self.address_uploads = SlidingWindowLimiter(address_uploads_per_hour, UPLOAD_WINDOW, clock)
        self.password_failures = SlidingWindowLimiter(PASSWORD_FAILURES, PASSWORD_WINDOW, clock)
        self._lock = threading.Lock()  # every check with the count or reservation that follows it

    def admit(self, client: Client) -> None:
        """Count one request of ``client``, or refuse it when the client or its address is over its rate.

        Both checks and both records are one step under a lock: otherwise requests arriving together
        (one address, many sessions or plain HTTP calls) could all pass the checks before any was
        counted, and get past the limit."""
        with self._lock:
            wait = self.requests.wait_time(client.key)
            if wait > 0:
                raise LimitExceeded(f"Too many requests: try again in {wait_text(wait)}.", wait)
            wait = self.address_requests.wait_time(client.address_key)
            if wait > 0:
                raise LimitExceeded(f"Too many requests from your address (all its sessions together): try "
                                    f"again in {wait_text(wait)}.", wait)
            self.requests.record(client.key)
            self.address_requests.record(client.address_key)

    def _reserve(self, *slots: tuple[SlidingWindowLimiter, str]) -> Reservation:
        """Hold one event in each (limiter, key); call with the lock held, after checking them."""
        held = [(limiter, key, limiter.hold(key)) for limiter, key in slots]

        def settle(count: int) -> None:
            with self._lock:
                for limiter, key, stamp in held:
                    limiter.settle(key, stamp, count)

        return Reservation(settle)

    def reserve_upload(self, client: Client) -> Reservation:
        """Hold one article of the upload budget of ``client`` and of its address before adding anything, or
        refuse when either is used up; settle it to the number of articles actually added.

        The check and the hold are one step under the lock, and the slot stays taken until settled: the
        count is only known once the articles are added, and without the hold uploads sent together could
        all pass the check before any was counted."""
        with self._lock:
            wait = self.uploads.wait_time(client.key)
            if wait > 0:
                raise LimitExceeded(f"Upload limit reached: a session may add {self.uploads.limit} articles per "
                                    f"hour. Try again in {wait_text(wait)}.", wait)
            wait = self.address_uploads.wait_time(client.address_key)
            if wait > 0:
                raise LimitExceeded(f"Upload limit reached: one address may add {self.address_uploads.limit} "
                                    f"articles per hour. Try again in {wait_text(wait)}.", wait)
            return self._reserve((self.uploads, client.key), (self.address_uploads, client.address_key))

    def reserve_password_attempt(self, client: Client) -> Reservation:
        """Hold one of the wrong-password tries of ``client``'s address before checking a password, or refuse
        when they are used up; settle it to 1 for a wrong password, release it otherwise.

        Checked and held in one step for the same reason as :meth:`reserve_upload`: guesses sent together
        would otherwise all be tried before the first wrong one was counted."""
        with self._lock:
            wait = self.password_failures.wait_time(client.address_key)
            if wait > 0:
                raise LimitExceeded(f"Too many wrong admin passwords: try again in {wait_text(wait)}.", wait)
            return self._reserve((self.password_failures, client.address_key))


class BodySizeLimit:
    """ASGI middleware: refuse request bodies over ``max_bytes`` with 413 and a clear message, without reading
    them into memory (uploads under ``exempt`` have their own limit: Gradio's ``max_file_size``)."""

    def __init__(self, app: ASGIApp, max_bytes: int, exempt: tuple[str, ...] = ("/gradio_api/upload",),
                 hint: str = "") -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = exempt
        self.hint = hint

    def _message(self) -> bytes:
        text = f"The request is larger than the limit of {self.max_bytes:,} bytes{self.hint}."
        return json.dumps({"detail": text, "error": text}).encode()

    async def _refuse(self, send: Send) -> None:
        body = self._message()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if scope["type"] != "http" or any(part in path for part in self.exempt):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:  # once refused, the app's own response is dropped
                await send(message)

        await self.app(scope, counting_receive, guarded_send)
