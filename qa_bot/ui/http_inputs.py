"""Plain HTTP calls may leave out trailing optional inputs of the named endpoints.

Gradio needs every input of an endpoint in ``{"data": [...]}`` and answers a short list with a bare
``{"error": null}``. This ASGI middleware fills in the missing trailing inputs with their defaults
(``/add_article`` with text and title only gets ``admin_password=""``), and names the missing required
ones in a readable error instead.
"""
from __future__ import annotations

import json
import re
from typing import Any, Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .api import REQUIRED

_CALL = re.compile(r"^/gradio_api/(?:call|run)/(?P<name>[A-Za-z_][A-Za-z0-9_]*)/?$")


def padded(data: list[Any], defaults: list[Any]) -> list[Any]:
    """``data`` with the missing trailing inputs filled from ``defaults``; ValueError if one is required."""
    missing = defaults[len(data):]
    if any(value is REQUIRED for value in missing):
        raise ValueError(f"This endpoint needs {sum(v is REQUIRED for v in defaults)} input(s) before the optional "
                         f"ones, got {len(data)}.")
    return list(data) + list(missing)


class OptionalInputs:
    """ASGI middleware over ``POST /gradio_api/call/<endpoint>``: pads ``data`` (see the module docstring).
    ``endpoints`` maps endpoint names to their input defaults; it may be filled after the app is built."""

    def __init__(self, app: ASGIApp, endpoints: Mapping[str, list[Any]]) -> None:
        self.app = app
        self.endpoints = endpoints

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _CALL.match(scope.get("path", "")) if scope["type"] == "http" else None
        if not match or scope.get("method") != "POST" or match["name"] not in self.endpoints:
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)  # the client went away: let the app see it
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            payload = None  # not JSON: Gradio answers that itself
        if isinstance(payload, dict) and isinstance(payload.get("data"), list):
            try:
                payload["data"] = padded(payload["data"], self.endpoints[match["name"]])
            except ValueError as exc:
                await _error(send, str(exc))
                return
            body = json.dumps(payload).encode()
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app({**scope, "headers": headers}, replay, send)


async def _error(send: Send, text: str) -> None:
    body = json.dumps({"detail": text, "error": text}).encode()
    await send({"type": "http.response.start", "status": 422,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
