"""Recognise plain chat requests for a summary ("give me a short summary", "summarise the article about …")."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Target = Literal["scope", "all", "latest", "topic"]

_ASKS_SUMMARY = re.compile(
    r"\b(summar(?:y|ies|i[sz]e[sd]?|i[sz]ing)|tl;?dr|sum(?:med|ming)?\s+(?:\w+\s+){0,3}?up|recap|"
    r"gist|overview|(?:key|main)\s+points|bullet(?:[- ]?points?|s)\s+(?:of|for|on|about|from)|"
    r"(?:in|as)\s+(?:a\s+)?(?:few\s+)?bullet(?:[- ]?points?|s))\b",
    re.IGNORECASE,
)
_LENGTHS: list[tuple[str, re.Pattern[str]]] = [
    ("bullets", re.compile(r"\b(bullets?|bullet[- ]points?|points|list)\b", re.I)),
    ("medium", re.compile(r"\b(medium|longer|long|detailed|paragraph|in[- ]depth|more detail)\b", re.I)),
    ("short", re.compile(r"\b(short|shorter|brief|quick|one[- ]line|tl;?dr|concise)\b", re.I)),
]
_ALL = re.compile(r"\b((all|every|each)\s+(of\s+)?(the\s+|my\s+)?(articles?|stories|news)|everything)\b", re.I)
_LATEST = re.compile(r"\b(latest|last|newest|most recent|recently added|new)\s+(article|story|one|piece)\b", re.I)
_TOPIC = re.compile(r"\b(?:about|on|regarding|concerning|covering)\s+(?P<topic>.+?)\s*[?.!]*\s*$", re.I)


@dataclass(frozen=True)
class SummaryRequest:
    """What a chat message asks to summarise; ``length`` None means "use the length chosen in the UI"."""

    length: str | None = None
    target: Target = "scope"
    topic: str = ""


def parse_summary_request(message: str) -> SummaryRequest | None:
    """A :class:`SummaryRequest` when the message asks for a summary, else None (a question)."""
    message = " ".join((message or "").split())
    if not message or not _ASKS_SUMMARY.search(message):
        return None
    length = next((name for name, pattern in _LENGTHS if pattern.search(message)), None)
    if _ALL.search(message):
        return SummaryRequest(length, "all")
    if _LATEST.search(message):
        return SummaryRequest(length, "latest")
    topic = _TOPIC.search(message)
    if topic:
        words = topic.group("topic").strip(" \"'“”‘’")
        if words and not re.fullmatch(r"(it|this|that|them|the article|this article)", words, re.I):
            return SummaryRequest(length, "topic", words)
    return SummaryRequest(length, "scope")
