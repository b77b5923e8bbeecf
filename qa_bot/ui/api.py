"""Named API endpoints (``api_name``) for gradio_client and plain HTTP: ask, summarise, add and list articles.

Every endpoint but ``list_articles`` and ``count_articles`` counts against the caller's request rate; the write endpoints take an
``admin_password`` input (needed only when the server has one).
"""
from __future__ import annotations

import functools
import html
import inspect
from typing import Any, Callable, Iterator, TypeVar

import gradio as gr

from ..answering import Answer
from .limits import Client
from .service import ALL, Library, NotAllowed, article_info

F = TypeVar("F", bound=Callable[..., Any])

REQUIRED = object()  # marks an API input without a default
GENERATE = "generate"  # concurrency group of everything that runs the language model


def user_errors(fn: F) -> F:
    """Report ValueError (IngestError, LimitExceeded) and NotAllowed to the caller as a gr.Error with the
    plain message."""
    def convert(exc: Exception) -> gr.Error:
        return gr.Error(html.escape(str(exc), quote=False), print_exception=False)

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(*args, **kwargs)
            except (ValueError, NotAllowed) as exc:
                raise convert(exc) from None
        return generator  # type: ignore[return-value]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ValueError, NotAllowed) as exc:
            raise convert(exc) from None
    return call  # type: ignore[return-value]


def _history(history: Any) -> list | None:
    if history in (None, "", []):
        return None
    if not isinstance(history, list):
        raise ValueError("history must be a list of {role, content} messages or [question, answer] pairs.")
    return history


def input_defaults(fn: Callable[..., Any]) -> list[Any]:
    """The default of each API input of ``fn`` in order (``REQUIRED`` for inputs without one)."""
    return [REQUIRED if p.default is inspect.Parameter.empty else p.default
            for name, p in inspect.signature(fn).parameters.items() if name != "request"]


def register_api(library: Library, concurrency: int) -> dict[str, list[Any]]:
    """Add the named endpoints to the Blocks being built (call inside ``with gr.Blocks()``); returns each
    endpoint's input defaults (plain HTTP callers may leave trailing optional inputs out)."""

    @user_errors
    def ask(question: str, history: list | None = None, articles: str = ALL, request: gr.Request | None = None) -> dict:
        """Answer a question from the articles. history: earlier turns ([question, answer] pairs or
        {role, content} messages); articles: "all", an article id or comma-separated ids.
        Returns answer, found (false = not in the articles), sources and timings."""
        library.admit(Client.of(request))
        return library.ask(question, _history(history), articles).to_dict()

    @user_errors
    def ask_stream(question: str, history: list | None = None, articles: str = ALL,
                   request: gr.Request | None = None) -> Iterator[dict]:
        """Like ask, streamed: {"answer": text so far, "done": false} updates, then the full result with
        "done": true (its answer replaces the streamed text)."""
        library.admit(Client.of(request))
        text = ""
        for item in library.ask_stream(question, _history(history), articles):
            if isinstance(item, Answer):
                yield {**item.to_dict(), "done": True}
                return
            text += item
            yield {"answer": text, "done": False}

    @user_errors
    def summarize(articles: str = "latest", length: str = "short", request: gr.Request | None = None) -> dict:
        """Summarise "latest" (the most recently added article), "all", an article id or comma-separated
        ids; length: short, medium or bullets."""
        library.admit(Client.of(request))
        ids = None if articles.strip() in ("", "latest") else library.summary_ids(articles)
        return library.summarize(ids, length).to_dict()

    @user_errors
    def add_article(text: str, title: str = "", admin_password: str = "", request: gr.Request | None = None) -> dict:
        """Add an article from its text (title optional: the first line otherwise); admin_password: needed
        when the server has one. Returns the ids added, those already present, and a message."""
        client = library.admit(Client.of(request))
        return library.add_text(text, title, password=admin_password, client=client).to_dict()

    @user_errors
    def add_url(url: str, admin_password: str = "", request: gr.Request | None = None) -> dict:
        """Fetch a web page or PDF and add its article; admin_password: needed when the server has one."""
        client = library.admit(Client.of(request))
        return library.add_url(url, password=admin_password, client=client).to_dict()

    @user_errors
    def list_articles(limit: int = 1000, offset: int = 0, query: str = "", newest_first: bool = False) -> list[dict]:
        """Articles in the order they were added (oldest first, or newest_first), limit (at most 1000) from
        offset, optionally only those whose title or source contains query: id, title, source, date, added,
        words. Fewer than limit means the end was reached."""
        return [article_info(a) for a in library.list_articles(limit, offset, query, bool(newest_first))]

    @user_errors
    def count_articles(query: str = "") -> dict:
        """How many articles the library holds (whose title or source contains query): {"articles": n}."""
        return {"articles": library.count(query)}

    @user_errors
    def remove_article(article_id: str, admin_password: str = "", request: gr.Request | None = None) -> dict:
        """Remove an article by id; admin_password: needed when the server has one."""
        client = library.admit(Client.of(request))
        removed = library.remove(article_id, password=admin_password, client=client)
        if not removed:
            raise ValueError(f"No article with id {article_id!r} in the library (list_articles shows the ids).")
        return {"removed": [a.id for a in removed]}

    for fn in (ask, ask_stream, summarize):
        gr.api(fn, api_name=fn.__name__, concurrency_limit=concurrency, concurrency_id=GENERATE)
    for fn in (add_article, add_url, remove_article):
        gr.api(fn, api_name=fn.__name__, concurrency_limit=1, concurrency_id="write")
    for fn in (list_articles, count_articles):
        gr.api(fn, api_name=fn.__name__, concurrency_limit=None)
    endpoints = (ask, ask_stream, summarize, add_article, add_url, remove_article, list_articles, count_articles)
    return {fn.__name__: input_defaults(fn) for fn in endpoints}
