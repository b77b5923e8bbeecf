"""Who may embed the widget and call the API from a browser: CORS and CSP ``frame-ancestors``.

Default (no origins configured): this server itself and local development pages
(``http://localhost:*``, ``http://127.0.0.1:*``). ``*`` allows any site.
"""
from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI, Response
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .settings import LOOPBACK_ORIGINS

_LOOPBACK_REGEX = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"


class FramePolicy:
    """ASGI middleware: a ``Content-Security-Policy: frame-ancestors`` header on every response.

    Pages under ``embeddable_prefixes`` (the widget and the web-component assets) may be framed by the
    allowed origins; everything else (the admin app) only by this server itself.
    """

    def __init__(self, app: ASGIApp, ancestors: str, embeddable_prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.ancestors = ancestors
        self.prefixes = embeddable_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        policy = self.ancestors if path.startswith(self.prefixes) else "'self'"

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-frame-options"]
                headers.append((b"content-security-policy", f"frame-ancestors {policy}".encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_policy)


def frame_ancestors(origins: list[str]) -> str:
    """The CSP source list for the configured origins."""
    if "*" in origins:
        return "*"
    return " ".join(["'self'", *(origins or LOOPBACK_ORIGINS)])


def add_origin_policy(app: FastAPI, origins: list[str], embeddable_prefixes: tuple[str, ...]) -> None:
    """CORS for the allowed origins (Gradio then leaves CORS to us) and the frame-ancestors header."""
    if "*" in origins:
        cors = dict(allow_origins=[], allow_origin_regex=".*")  # mirrors the origin (works with credentials)
    elif origins:
        cors = dict(allow_origins=origins)
    else:
        cors = dict(allow_origins=[], allow_origin_regex=_LOOPBACK_REGEX)
    app.add_middleware(CORSMiddleware, allow_credentials=True, allow_methods=["*"], allow_headers=["*"],
                       expose_headers=["*"], **cors)
    app.add_middleware(FramePolicy, ancestors=frame_ancestors(origins), embeddable_prefixes=embeddable_prefixes)


def web_component_loader() -> str:
    """Gradio's own loader module for the ``<gradio-app>`` web component (imports the hashed bundle)."""
    import gradio

    return (Path(gradio.__file__).parent / "templates" / "frontend" / "gradio.js").read_text(encoding="utf-8")


def add_embed_script(app: FastAPI, path: str = "/embed.js") -> None:
    """A stable URL for the web-component script: Gradio's loader, whose relative import then fetches the
    current hashed bundle from this server's ``/assets/``."""
    source = web_component_loader()
    if not re.search(r"""import\(\s*["']\./assets/""", source):
        raise RuntimeError("Unexpected Gradio web-component loader; update qa_bot.ui.embedding")

    @app.get(path, include_in_schema=False)
    def embed_js() -> Response:
        return Response(source, media_type="text/javascript",
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})
