"""Serving while the models load: the server answers at once with a "starting" page (and ``/healthz`` says
not ready) instead of refusing connections for the half minute the models take to load.

:class:`Readiness` is what the loading code reports to; :class:`StartingGate` is the ASGI middleware that
serves the starting page (HTML for browsers, a JSON 503 for API clients) until it is ready.
"""
from __future__ import annotations

import html
import json
import threading
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send

RETRY_AFTER_S = 3


@dataclass
class Readiness:
    """Start-up state shared between the loading code and the server (thread-safe enough: one writer)."""

    step: str = "Loading the models"
    error: str = ""
    _ready: threading.Event = field(default_factory=threading.Event, repr=False)

    @classmethod
    def done(cls) -> "Readiness":
        """Already ready (an app built over a Bot whose models load on first use)."""
        readiness = cls(step="Ready")
        readiness._ready.set()
        return readiness

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    @property
    def status(self) -> str:
        return "ok" if self.ready else "failed" if self.error else "starting"

    def set_step(self, step: str) -> None:
        self.step = step

    def set_ready(self) -> None:
        self.step = "Ready"
        self._ready.set()

    def fail(self, error: str) -> None:
        self.error = error

    def wait(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)


STARTING_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>qa_bot is starting…</title>
<style>
  body {{ margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
         font-family: system-ui, sans-serif; background: #f6f7fb; color: #0f172a; }}
  main {{ max-width: 420px; padding: 24px; text-align: center; }}
  h1 {{ font-size: 1.3rem; margin: 0 0 8px; }}
  p {{ color: #334155; margin: 4px 0; }}
  .dots i {{ display: inline-block; width: 8px; height: 8px; margin: 0 3px; border-radius: 50%;
            background: #4f46e5; animation: b 1.2s infinite ease-in-out; }}
  .dots i:nth-child(2) {{ animation-delay: .15s; }} .dots i:nth-child(3) {{ animation-delay: .3s; }}
  @keyframes b {{ 0%, 80%, 100% {{ opacity: .25; }} 40% {{ opacity: 1; }} }}
</style></head>
<body><main id="qa-starting" role="status" aria-live="polite">
<div class="dots" aria-hidden="true"><i></i><i></i><i></i></div>
<h1>{title}</h1><p id="qa-starting-step">{step}</p><p>{hint}</p>
</main>
<script>
  // reload as soon as /healthz says the bot is ready
  const poll = async () => {{
    try {{
      const health = await (await fetch("{health}", {{cache: "no-store"}})).json();
      if (health.ready) {{ location.reload(); return; }}
      if (health.step) document.getElementById("qa-starting-step").textContent = health.step;
    }} catch (e) {{}}
    setTimeout(poll, 1000);
  }};
  setTimeout(poll, 1000);
</script></body></html>
"""


def starting_page(readiness: Readiness, health_path: str = "/healthz") -> str:
    """The page a visitor sees while the models load (it reloads itself when they are ready)."""
    if readiness.error:
        title, hint = "qa_bot could not start", "The server log has the details."
        step = readiness.error
    else:
        title, step = "qa_bot is starting…", readiness.step + "…"
        hint = "This takes about half a minute (a few minutes the very first time). The page opens by itself."
    return STARTING_PAGE.format(title=html.escape(title), step=html.escape(step), hint=html.escape(hint),
                                health=health_path)


class StartingGate:
    """ASGI middleware: until ``readiness`` is ready, every request but ``open_paths`` gets 503 with the
    starting page (browsers) or a JSON error (API clients), and ``Retry-After``."""

    def __init__(self, app: ASGIApp, readiness: Readiness, open_paths: tuple[str, ...] = ("/healthz",)) -> None:
        self.app = app
        self.readiness = readiness
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.readiness.ready or scope["type"] != "http" or scope.get("path") in self.open_paths:
            await self.app(scope, receive, send)
            return
        accept = dict(scope.get("headers", [])).get(b"accept", b"").decode("latin-1")
        if scope.get("method") == "GET" and "text/html" in accept:
            body, kind = starting_page(self.readiness).encode(), b"text/html; charset=utf-8"
        else:
            text = self.readiness.error or f"qa_bot is starting ({self.readiness.step}): try again in a moment."
            body, kind = json.dumps({"error": text, "detail": text}).encode(), b"application/json"
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                                (b"retry-after", str(RETRY_AFTER_S).encode()), (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": body})
