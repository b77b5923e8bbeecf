"""HTML for chat messages, sources, summaries and the article list; every piece of text is escaped.

Everything shown in the browser that comes from articles, titles, questions or the model goes through
:func:`text`, which escapes HTML *and* neutralises Markdown/LaTeX syntax, so an article containing
``<script>`` or ``<img onerror=...>`` is displayed as text and runs nothing. Blocks are emitted without
blank lines, so the chat's Markdown renderer passes them through as one HTML block.
"""
from __future__ import annotations

import html
import re
from typing import Iterable, Sequence

from ..answering import Answer, Source
from ..articles import Article, ArticleInfo
from ..summarizing import Summary

# One pass: HTML's special characters, and those Markdown or LaTeX rendering would interpret, as entities.
_ESCAPES = str.maketrans({**{c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-!|~$:'\""},
                          "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": ""})


def text(value: object) -> str:
    """Escape any text for display inside HTML (also inert to Markdown); line breaks become ``<br>``."""
    return re.sub(r"\n+", "<br>", str(value).translate(_ESCAPES))


def _tag(name: str, body: str, cls: str = "", **attrs: str) -> str:
    """``<name class=cls attr=...>body</name>``; ``body`` must already be safe HTML."""
    if cls:
        attrs = {"class": cls, **attrs}
    extra = "".join(f' {k.replace("_", "-")}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
    return f"<{name}{extra}>{body}</{name}>"


def notice(kind: str, title: str, body: str = "") -> str:
    """A coloured callout (kind: notfound, error, info, success, warning); title and body are plain text."""
    inner = _tag("strong", text(title)) + (_tag("span", text(body)) if body else "")
    return _tag("div", inner, f"qa-notice qa-{kind}", role="status")


def user_message(question: str) -> str:
    return _tag("div", text(question), "qa-question")


def pending(label: str = "Thinking") -> str:
    """The status line shown until the first words arrive (announced to screen readers)."""
    dots = "".join(_tag("i", "") for _ in range(3))
    return _tag("div", _tag("span", dots, "qa-dots", aria_hidden="true")
                + _tag("span", text(label), "qa-pending-label"), "qa-pending", role="status")


def streaming(partial: str) -> str:
    """Answer or summary text as it arrives."""
    return _tag("div", text(partial) + _tag("span", "", "qa-caret"), "qa-answer qa-streaming")


def passage(source: Source) -> str:
    """The passage with the supporting span highlighted (offsets are article offsets)."""
    body = source.text
    lo = min(max(source.highlight_start - source.start, 0), len(body))
    hi = min(max(source.highlight_end - source.start, lo), len(body))
    if hi <= lo:
        return text(body)
    return text(body[:lo]) + _tag("mark", text(body[lo:hi])) + text(body[hi:])


def sources(items: Sequence[Source]) -> str:
    """Collapsible list of sources: the summary line names the article(s) already."""
    if not items:
        return ""
    titles = list(dict.fromkeys(s.title for s in items))
    label = f"{len(items)} source{'s' if len(items) > 1 else ''}"
    summary = (_tag("span", text(label), "qa-sources-count")
               + _tag("span", text(" · ".join(titles)), "qa-sources-titles"))
    cards = "".join(
        _tag("div",
             _tag("div", _tag("span", str(n), "qa-source-n") + _tag("span", text(s.title), "qa-source-title"),
                  "qa-source-head")
             + _tag("p", passage(s), "qa-passage"),
             "qa-source", data_article=s.article_id)
        for n, s in enumerate(items, 1)
    )
    return _tag("details", _tag("summary", summary) + cards, "qa-sources")


def answer(result: Answer) -> str:
    """The final answer with its sources, or an abstention that does not look like an answer."""
    if not result.found:
        return notice("notfound", "Not in the articles",
                      f"{result.answer} Try rephrasing, or choose a different article scope.")
    return _tag("div", text(result.answer), "qa-answer") + sources(result.sources)


def _summary_body(summary_text: str, bullets: bool) -> str:
    lines = [ln.strip() for ln in summary_text.split("\n") if ln.strip()]
    items = [ln[2:] for ln in lines if ln.startswith("- ")]
    if bullets and items and len(items) == len(lines):
        return _tag("ul", "".join(_tag("li", text(i)) for i in items))
    return _tag("p", text(" ".join(lines)))


def summary(result: Summary, articles: Sequence[Article]) -> str:
    """A finished summary: one section per article, with a warning for unsupported names/numbers."""
    by_id = {a.id: a for a in articles}
    bullets = result.length == "bullets"
    titles = [by_id[i].title for i in result.article_ids if i in by_id]
    sections = _sections(result.summary, titles) if len(titles) > 1 else None
    if sections:
        body = "".join(_tag("h4", text(title)) + _summary_body(part, bullets) for title, part in sections)
    else:
        body = _summary_body(result.summary, bullets)
    head = _tag("div", text(f"Summary · {result.length}") + (_tag("span", text(" of " + " · ".join(titles)))
                                                            if len(titles) == 1 else ""), "qa-summary-head")
    warn = notice("warning", "Check these:", " not found in the article text: " + ", ".join(result.unsupported)) \
        if result.unsupported else ""
    note = notice("info", "Note:", " " + result.note) if result.note else ""
    return _tag("div", head + body, "qa-summary") + note + warn + summary_sources(result, articles)


def summary_sources(result: Summary, articles: Sequence[Article]) -> str:
    """Collapsible sources of a summary: each summary sentence with the article sentence(s) it restates."""
    by_id = {a.id: a for a in articles}
    cards = []
    for n, sentence in enumerate(result.sentences, 1):
        quotes = "".join(_tag("p", text(by_id[src.article_id].text[src.start:src.end]), "qa-passage")
                         for src in sentence.sources if src.article_id in by_id)
        titles = " · ".join(dict.fromkeys(by_id[src.article_id].title for src in sentence.sources
                                          if src.article_id in by_id))
        if quotes:
            cards.append(_tag("div", _tag("div", _tag("span", str(n), "qa-source-n")
                                          + _tag("span", text(sentence.text), "qa-source-title"), "qa-source-head")
                              + _tag("p", text(titles), "qa-sources-titles") + quotes, "qa-source"))
    if not cards:
        return ""
    label = _tag("span", text(f"{len(cards)} sentence source{'s' if len(cards) > 1 else ''}"), "qa-sources-count")
    return _tag("details", _tag("summary", label) + "".join(cards), "qa-sources")


def _sections(summary_text: str, titles: Sequence[str]) -> list[tuple[str, str]] | None:
    """Split a multi-article summary ("**Title**\\ntext" per article, in order) into (title, text)."""
    marks, pos = [], 0
    for title in titles:
        at = summary_text.find(f"**{title}**\n", pos)
        if at < 0:
            return None
        marks.append((title, at, at + len(title) + 5))
        pos = at + 1
    ends = [m[1] for m in marks[1:]] + [len(summary_text)]
    return [(title, summary_text[body:end]) for (title, _, body), end in zip(marks, ends)]


def _articles(n: int) -> str:
    return f"{n:,} article{'s' if n != 1 else ''}"


def list_count(shown: int, total: int, matching: int | None = None, query: str = "") -> str:
    """What the list shows: "3 articles", "Showing 50 of 1,204 articles", "2 of 1,204 articles match “x”"."""
    if query:
        found = matching if matching is not None else shown
        if found == 0:
            return f"No article matches “{query}” ({_articles(total)} in all)."
        head = f"{found:,} of {_articles(total)} match “{query}”"
        return head + (f"; showing the newest {shown:,}" if shown < found else "")
    return _articles(total) if shown >= total else f"Showing the newest {shown:,} of {_articles(total)}"


def article_list(articles: Sequence[Article | ArticleInfo], read_only: bool = False, total: int | None = None,
                 matching: int | None = None, query: str = "") -> str:
    """The library panel: the given articles (a page, newest first), each with its size and origin, under
    a line saying how many there are in all (``total``) and how many match a filter ``query``."""
    total = len(articles) if total is None else total
    if not total:
        hint = "" if read_only else " Add one below."
        return _tag("div", text("No articles yet." + hint), "qa-empty")
    rows = []
    for a in articles:
        meta = [f"{a.words:,} words", _origin(a.source), (a.date or a.added or "")[:10]]
        rows.append(_tag("li", _tag("div", text(a.title), "qa-article-title")
                         + _tag("div", text(" · ".join(m for m in meta if m)), "qa-article-meta"),
                         data_article=a.id))
    count = _tag("div", text(list_count(len(articles), total, matching, query)), "qa-count")
    return count + (_tag("ul", "".join(rows), "qa-articles") if rows else "")


def _origin(source: str) -> str:
    """Where an article came from, briefly: a URL as is, a file by its name."""
    if not source or re.match(r"^https?://", source, re.I):
        return source or ""
    return re.split(r"[\\/]", source.rstrip("\\/"))[-1] or source


def status(kind: str, message: str) -> str:
    """A status line under a form (kind: success, error, info)."""
    return notice(kind, message)


def scope_choices(articles: Iterable[Article | ArticleInfo], max_title: int = 60) -> list[tuple[str, str]]:
    """Dropdown choices: all articles, then each given article (newest first) by title (the dropdown
    escapes its labels)."""
    def short(title: str) -> str:
        return title if len(title) <= max_title else title[: max_title - 1].rstrip() + "…"

    return [("All articles", "all")] + [(short(a.title), a.id) for a in articles]
