"""The web server: the chat app at ``/``, the widget at ``/widget``, ``/embed.js``, the API, served by uvicorn."""
from __future__ import annotations

import logging
import secrets
import threading
import time
from typing import Any

import gradio as gr
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse

from ..bot import Bot
from .embedding import add_embed_script, add_origin_policy
from .http_inputs import OptionalInputs
from .limits import BodySizeLimit, Limits
from .service import Library
from .settings import UISettings
from .startup import Readiness, StartingGate
from .theme import css, page_js, theme
from .views import build_main, build_widget

log = logging.getLogger(__name__)

WIDGET_PATH = "/widget"
EMBED_SCRIPT = "/embed.js"



def max_request_bytes(max_article_chars: int) -> int:
    """Largest request body accepted (file uploads aside): an article at the limit, JSON-escaped, and room for
    the other inputs. Articles a little over the limit still reach the core, which names the limit."""
    return 6 * max_article_chars + 1_000_000


def create_app(bot: Bot, settings: UISettings, readiness: Readiness | None = None) -> FastAPI:
    """A FastAPI app serving both pages and the API over ``bot``. With ``readiness`` (not ready yet) it
    serves a "starting" page until the caller marks it ready; without, models load on first use."""
    readiness = readiness or Readiness.done()
    limits = Limits(settings.requests_per_minute, settings.uploads_per_session,
                    address_requests_per_minute=settings.address_requests_per_minute,
                    address_uploads_per_hour=settings.address_uploads_per_hour)
    library = Library(bot, read_only=settings.read_only, admin_password=settings.admin_password, limits=limits)
    api_inputs: dict[str, list] = {}
    app = FastAPI(title="qa_bot", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(OptionalInputs, endpoints=api_inputs)
    app.add_middleware(BodySizeLimit, max_bytes=max_request_bytes(bot.config.max_article_chars),
                       hint=" (it follows max_article_chars / QA_BOT_MAX_ARTICLE_CHARS)")
    add_origin_policy(app, settings.origins, (WIDGET_PATH,))
    add_embed_script(app, EMBED_SCRIPT)

    @app.get(WIDGET_PATH, include_in_schema=False)
    def widget_slash(request: Request) -> RedirectResponse:
        """``/widget`` -> ``/widget/`` (the mounted page), keeping the query string."""
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"{WIDGET_PATH}/{query}", status_code=307)

    @app.get("/healthz", include_in_schema=False)
    def health() -> JSONResponse:
        """200 and ``ready: true`` once the models are loaded; 503 with the current step before."""
        body: dict[str, Any] = {"status": readiness.status, "ready": readiness.ready, "step": readiness.step,
                                "read_only": settings.read_only, "admin_password": library.needs_password}
        if readiness.error:
            body["error"] = readiness.error
        if readiness.ready:
            body["articles"] = library.count()
        return JSONResponse(body, status_code=200 if readiness.ready else 503)

    # the API docs (/?view=api) need the "api" footer link; the sidebar links there and CSS hides the footer
    pages = ((WIDGET_PATH, build_widget(library, settings.concurrency), []),
             ("/", build_main(library, settings.concurrency, api_inputs), ["api"]))
    for path, blocks, footer in pages:  # the widget first: "/" would shadow it
        blocks.queue(default_concurrency_limit=settings.concurrency, max_size=settings.max_queue)
        gr.mount_gradio_app(
            app, blocks, path=path, theme=theme(), css=css(), js=page_js(), footer_links=footer, show_error=False,
            max_file_size=bot.config.max_file_bytes, ssr_mode=False, pwa=False, mcp_server=False,
            run_history=False, enable_monitoring=False, server_name=settings.host, server_port=settings.port,
        )
    app.add_middleware(StartingGate, readiness=readiness)  # outermost: nothing else runs while starting
    return app


class UIServer:
    """uvicorn in a background thread: start, wait until it listens, stop."""

    def __init__(self, app: FastAPI, host: str, port: int, log_level: str = "warning") -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=log_level,
                                                    timeout_graceful_shutdown=2))
        self.thread = threading.Thread(target=self.server.run, name="qa_bot-ui", daemon=True)

    def start(self, timeout: float = 60.0) -> "UIServer":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("The web server did not start (is the port already in use?)")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def wait(self) -> None:
        """Block until the server stops; Ctrl+C stops it."""
        try:
            while self.thread.is_alive():
                self.thread.join(timeout=0.5)
        except KeyboardInterrupt:
            self.stop()


def open_share_link(host: str, port: int) -> str | None:
    """A temporary public URL through Gradio's share service (needs internet), or None."""
    from gradio import networking

    try:
        return networking.setup_tunnel(host, port, secrets.token_urlsafe(32), None, None)
    except Exception as exc:  # offline, blocked, or the share binary is missing
        log.warning("Could not open a share link: %s", exc)
        return None
