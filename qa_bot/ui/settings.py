"""Server settings of the web UI (host, port, read-only, embedding origins, queue, public-widget limits,
admin password), as flags and env vars.

They complement :class:`qa_bot.Config` (models, index, limits) and follow the same rules:
``--flag`` > ``QA_BOT_<NAME>`` environment variable > default.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from ..config import add_settings_flags, settings_from_env

LOOPBACK_ORIGINS = ("http://localhost:*", "http://127.0.0.1:*")


def _setting(default: Any, help: str, secret: bool = False) -> Any:
    """A dataclass field carrying its help text (for the flags); a secret one is left out of its repr."""
    return field(default=default, repr=not secret, metadata={"help": help, "secret": secret})


@dataclass
class UISettings:
    """How the web UI is served."""

    host: str = _setting("127.0.0.1", "address to listen on (0.0.0.0: all interfaces)")
    port: int = _setting(7860, "port to listen on")
    share: bool = _setting(False, "also open a temporary public Gradio share link (needs internet)")
    read_only: bool = _setting(False, "hide adding/removing articles and refuse them on the server")
    allowed_origins: str = _setting(
        "", "comma-separated origins allowed to embed the widget and call the API from the browser, e.g. "
            "https://news.example.com; '*' for any (default: this server and local development origins)")
    concurrency: int = _setting(4, "chat requests worked on at once (generation itself runs one at a time)")
    max_queue: int = _setting(64, "requests waiting beyond this are told to retry later")
    requests_per_minute: int = _setting(
        20, "questions, summaries and article changes a session may send per minute (plain HTTP calls: per "
            "client address); 0: no limit")
    uploads_per_session: int = _setting(
        20, "articles a session may add per hour (plain HTTP calls: per client address); 0: no limit")
    address_requests_per_minute: int = _setting(
        60, "requests per minute of all sessions from one address together (new sessions do not reset it; "
            "behind a reverse proxy every visitor shares the proxy's address); 0: no limit")
    address_uploads_per_hour: int = _setting(
        40, "articles all sessions from one address may add per hour together; 0: no limit")
    admin_password: str = _setting(
        "", "when set, adding and removing articles needs this password (a field in the UI, the API's "
            "admin_password input); chatting stays open to everyone. Prefer the environment variable", secret=True)

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be within 1..65535, got {self.port}")
        if self.concurrency < 1 or self.max_queue < 1:
            raise ValueError("concurrency and max_queue must be >= 1")
        if min(self.requests_per_minute, self.uploads_per_session, self.address_requests_per_minute,
               self.address_uploads_per_hour) < 0:
            raise ValueError("requests_per_minute, uploads_per_session, address_requests_per_minute and "
                             "address_uploads_per_hour must be >= 0 (0: no limit)")

    @property
    def origins(self) -> list[str]:
        """The configured embedding origins (without trailing slashes); empty means the loopback default."""
        return [o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()]

    @property
    def local_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "UISettings":
        """Defaults, then ``QA_BOT_*`` environment variables, then ``overrides`` (None = not given)."""
        return settings_from_env(cls, env, overrides)


def add_ui_flags(parser: argparse.ArgumentParser) -> None:
    """One ``--flag`` per UISettings field (default None = not given)."""
    add_settings_flags(parser, UISettings, "web UI (also QA_BOT_<NAME> environment variables)", show_defaults=True)


def ui_settings_from_args(args: argparse.Namespace) -> UISettings:
    """UISettings from parsed flags, falling back to the environment."""
    return UISettings.from_env(**{f.name: getattr(args, f.name, None) for f in fields(UISettings)})
