"""What the UI and the API can do with the library, as plain Python over one shared :class:`Bot`.

Gradio-free: errors are raised as ``ValueError`` (including :class:`qa_bot.IngestError` and
:class:`~qa_bot.ui.limits.LimitExceeded`) with a message for the user, or :class:`NotAllowed` when a write is
refused (read-only server, missing or wrong admin password). Who asks is a :class:`~qa_bot.ui.limits.Client`
(its requests and added articles are counted against the server's :class:`~qa_bot.ui.limits.Limits`).
"""
from __future__ import annotations

import dataclasses
import hmac
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ..answering import Answer, History
from ..articles import Article, ArticleInfo, IngestError, make_article
from ..bot import Bot
from ..streaming import final
from ..summarizing import LENGTHS, Summary
from .intents import SummaryRequest
from .limits import LOCAL, Client, Limits, Reservation

log = logging.getLogger(__name__)

ALL = "all"
PAGE = 50  # articles listed at a time in the UI
MAX_PAGE = 1000  # the most one API call lists


class NotAllowed(PermissionError):
    """A write (add or remove an article) that this server or this caller may not do."""


class ReadOnlyError(NotAllowed):
    """A write on a read-only server."""

    def __init__(self) -> None:
        super().__init__("This qa_bot is read-only: adding and removing articles is turned off.")


class AdminPasswordError(NotAllowed):
    """A write without the right admin password."""

    def __init__(self, given: bool) -> None:
        super().__init__("Wrong admin password." if given else
                         "Adding and removing articles needs the admin password.")


@dataclass
class AddResult:
    """Outcome of adding articles: which were new and which were already in the library."""

    added: list[Article]
    existing: list[Article]

    def message(self) -> str:
        def names(items: list[Article]) -> str:
            return ", ".join(f"“{a.title}”" for a in items)

        parts = []
        if self.added:
            parts.append(f"Added {names(self.added)}: you can ask about it now.")
        if self.existing:
            parts.append(f"{names(self.existing)} {'is' if len(self.existing) == 1 else 'are'} already in the library.")
        return " ".join(parts)

    def to_dict(self) -> dict:
        return {"added": [a.id for a in self.added], "existing": [a.id for a in self.existing],
                "message": self.message(), "articles": [article_info(a) for a in self.added + self.existing]}


def article_info(article: Article | ArticleInfo) -> dict:
    """An article's metadata for API clients (the text itself is not sent): id, title, source, date, added,
    words."""
    return (article.info() if isinstance(article, Article) else article).to_dict()


class Library:
    """Questions, summaries and article management for the UI and the API."""

    def __init__(self, bot: Bot, read_only: bool = False, admin_password: str = "",
                 limits: Limits | None = None) -> None:
        self.bot = bot
        self.read_only = read_only
        self._admin_password = admin_password
        self.limits = limits or Limits()

    @property
    def needs_password(self) -> bool:
        """Do writes need the admin password (and are they allowed at all)?"""
        return bool(self._admin_password) and not self.read_only

    def admit(self, client: Client = LOCAL) -> Client:
        """Count one request of ``client`` (questions, summaries, writes) and return it; LimitExceeded when
        over its rate."""
        self.limits.admit(client)
        return client

    # ---- reading ------------------------------------------------------------------------------
    def list_articles(self, limit: int = PAGE, offset: int = 0, query: str = "",
                      newest_first: bool = True) -> list[ArticleInfo]:
        """A page of article metadata (no texts), newest first; ``query`` filters by title or source."""
        limit, offset = _whole(limit, "limit"), _whole(offset, "offset")
        if limit > MAX_PAGE:
            raise ValueError(f"limit may be at most {MAX_PAGE}; page with offset for more.")
        return self.bot.list_articles(limit, offset, (query or "").strip(), newest_first)

    def count(self, query: str = "") -> int:
        """How many articles there are (whose title or source contains ``query``)."""
        return self.bot.article_count((query or "").strip())

    def titles(self, ids: Iterable[str]) -> dict[str, str]:
        """id -> title of the known ones among ``ids``."""
        return self.bot.titles(ids)

    def get_articles(self, ids: Iterable[str]) -> list[Article]:
        """The named articles with their texts (unknown ids left out)."""
        return self.bot.get_articles(ids)

    def newest_articles(self, count: int) -> Iterator[Article]:
        """The ``count`` newest articles with their texts, read one at a time."""
        return self.bot.newest_articles(count)

    def scope_ids(self, scope: str | Sequence[str] | None) -> list[str] | None:
        """Article ids for a scope ("all"/"" = every article -> None; an id, ids or "id1,id2")."""
        ids = [scope] if isinstance(scope, str) or scope is None else list(scope)
        ids = [i.strip() for part in ids if part for i in str(part).split(",") if i.strip()]
        if not ids or ALL in ids:
            return None
        known = self.titles(ids)
        missing = [i for i in ids if i not in known]
        if missing:
            raise ValueError("That article is no longer in the library: choose another one." if len(ids) == 1
                             else f"Unknown article id(s): {', '.join(missing)}")
        return ids

    def title_of(self, scope: str) -> str:
        """A readable name of a scope for chat messages."""
        ids = self.scope_ids(scope)
        if ids is None:
            return "all articles"
        titles = self.titles(ids)
        return ", ".join(f"“{titles[i]}”" for i in ids if i in titles)

    def find_article(self, topic: str) -> Article | None:
        """The article a phrase like "the Biden Putin call" refers to (best retrieved passage)."""
        return self.bot.find_article(topic)

    # ---- questions and summaries ----------------------------------------------------------------
    def ask_stream(self, question: str, history: History | None = None,
                   scope: str | Sequence[str] | None = ALL) -> Iterator[str | Answer]:
        """Answer pieces, then the final Answer (see :meth:`qa_bot.Bot.ask_stream`)."""
        yield from self.bot.ask_stream(question, history or None, self.scope_ids(scope))

    def ask(self, question: str, history: History | None = None, scope: str | Sequence[str] | None = ALL) -> Answer:
        return self.bot.ask(question, history or None, self.scope_ids(scope))

    def summary_ids(self, scope: str | Sequence[str] | None, request: SummaryRequest | None = None) -> list[str] | None:
        """Which articles a summary covers: the request's own target, else the scope (None = latest)."""
        if request is not None and request.target == "latest":
            return None
        if request is not None and request.target == "all":
            return [ALL]
        if request is not None and request.target == "topic":
            article = self.find_article(request.topic)
            if article is None:
                raise ValueError(f"I couldn't find an article about “{request.topic}”.")
            return [article.id]
        ids = self.scope_ids(scope)
        return [ALL] if ids is None else ids

    def summarize_stream(self, article_ids: list[str] | None, length: str = "short") -> Iterator[str | Summary]:
        """Summary pieces, then the final Summary (see :meth:`qa_bot.Bot.summarize_stream`)."""
        if length not in LENGTHS:
            raise ValueError(f"The length must be one of: {', '.join(LENGTHS)}.")
        yield from self.bot.summarize_stream(article_ids, length)

    def summarize(self, article_ids: list[str] | None, length: str = "short") -> Summary:
        return final(self.summarize_stream(article_ids, length), Summary)

    # ---- writing ------------------------------------------------------------------------------
    def _check_writable(self, password: str, client: Client) -> None:
        """Refuse writes on a read-only server and, when an admin password is set, without it. The check
        holds one of the address's wrong-password tries: kept when the password is wrong, released when it
        is right (or none was given), so guesses sent together cannot get more tries than allowed."""
        if self.read_only:
            raise ReadOnlyError()
        if not self._admin_password:
            return
        with self.limits.reserve_password_attempt(client) as attempt:
            given = (password or "").encode()
            if not hmac.compare_digest(given, self._admin_password.encode()):
                if given:
                    attempt.settle(1)
                    log.warning("Wrong admin password from %s", client.address or "a local caller")
                raise AdminPasswordError(bool(given))

    def _adding(self, password: str, client: Client) -> Reservation:
        """Checks before adding articles (may write, has not added its share yet); returns the upload slot
        held meanwhile, for ``with``: :meth:`_add` settles it, and it is released if adding fails first."""
        self._check_writable(password, client)
        return self.limits.reserve_upload(client)

    def _add(self, articles: Sequence[Article], upload: Reservation) -> AddResult:
        added_ids = set(self.bot.add_articles(articles))
        result = AddResult([a for a in articles if a.id in added_ids], [a for a in articles if a.id not in added_ids])
        upload.settle(len(result.added))
        log.info("Added %d article(s), %d already present", len(result.added), len(result.existing))
        return result

    def add_text(self, text: str, title: str = "", *, password: str = "", client: Client = LOCAL) -> AddResult:
        """Add pasted text as one article."""
        with self._adding(password, client) as upload:
            config = self.bot.config
            return self._add([make_article(text, title=(title or "").strip(), source="pasted text",
                                           max_chars=config.max_article_chars)], upload)

    def add_url(self, url: str, *, password: str = "", client: Client = LOCAL) -> AddResult:
        """Fetch a web page (or PDF) and add its article."""
        with self._adding(password, client) as upload:
            url = (url or "").strip()
            if not url:
                raise ValueError("Please enter a web address (http:// or https://).")
            if not re.match(r"^https?://", url, re.I):
                if re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I) and not re.match(r"^[^:/]+:\d", url):
                    raise IngestError(f"Not a web address: {url!r} (use http:// or https://).")
                url = "https://" + url  # "example.com/story" or "example.com:8080/story"
            return self._add(self.bot.load(url), upload)

    def add_file(self, path: str | Path, name: str = "", *, password: str = "", client: Client = LOCAL) -> AddResult:
        """Add an uploaded .txt, .md, .html or .pdf file; ``name`` is what the user called it."""
        with self._adding(password, client) as upload:
            name = Path(name or path).name
            articles = [dataclasses.replace(a, source=name) for a in self.bot.load(Path(path))]
            return self._add(articles, upload)

    def remove(self, article_id: str, *, password: str = "", client: Client = LOCAL) -> list[Article]:
        """Remove one article; returns it (empty if it was already gone)."""
        self._check_writable(password, client)
        if not article_id:
            raise ValueError("Choose an article to remove.")
        before = {a.id: a for a in self.get_articles([article_id])}
        removed = self.bot.remove([article_id])
        return [before[i] for i in removed if i in before]


def _whole(value: object, name: str) -> int:
    """A non-negative whole number from an API input (an int, or digits as text)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        number = int(value)
    else:
        try:
            number = int(str(value).strip())
        except ValueError:
            number = -1
    if number < 0:
        raise ValueError(f"{name} must be a whole number >= 0.")
    return number
