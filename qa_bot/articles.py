"""The Article record and the text clean-up every article goes through."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any


class IngestError(ValueError):
    """Input that cannot become an article; the message says why, for the user."""


@dataclass
class Article:
    """One news article: stable id (from its text), title, source, date, clean text."""

    id: str
    title: str
    text: str
    source: str = ""
    date: str = ""
    added: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Article":
        return cls(**{k: data[k] for k in ("id", "title", "text", "source", "date", "added") if k in data})

    @property
    def words(self) -> int:
        """Words in the text (whitespace-separated), as lists show them."""
        return len(self.text.split())

    def info(self) -> "ArticleInfo":
        """The article's metadata without its text."""
        return ArticleInfo(self.id, self.title, self.source, self.date, self.added, self.words)


@dataclass(frozen=True)
class ArticleInfo:
    """An article's metadata without its text: what lists show (cheap at any library size)."""

    id: str
    title: str
    source: str = ""
    date: str = ""
    added: str = ""
    words: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Lines that sites append to articles and that carry no news.
_BOILERPLATE_LINE = re.compile(
    r"^\s*(leave a (comment|reply)|"
    # calls to read on: "You can find more stories from where you live at ...", "Read more news like this"
    r"((you can|to) )?(find|read|see|get|discover|explore|browse|check out) (more|other|all|the latest|related)\b.{0,80}|"
    r"share this( article)?:?|(media|video|audio) playback is (unsupported|not supported) on your device|"
    r"(click|tap) here to .*|sign up for .*newsletter.*|follow us on .*|advertisement|"
    r"related (articles|stories):?|read more:?|comments?|share on (facebook|twitter|x)|"
    r"all rights reserved.*|copyright ©.*|© \d{4}.*|subscribe( now)?( to .*)?)\s*[.!]?\s*$",
    re.IGNORECASE,
)


# UTF-8 read as cp1252/Latin-1 ("Â£", "â€™", "Ã©"): a lead byte's character, then continuation bytes' ones
_CONTINUATION = "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
_MOJIBAKE = re.compile(f"[\u00c2-\u00f4][{_CONTINUATION}]{{1,3}}")


def _as_byte(ch: str) -> bytes:
    return bytes([ord(ch)]) if ord(ch) < 256 else ch.encode("cp1252")


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text decoded as cp1252 or Latin-1 ("Â£24bn" -> "£24bn", "donâ€™t" -> "don’t"), one
    character at a time, only where the bytes form valid UTF-8 (so real "Ã" or "Â" stay)."""
    def fix(match: re.Match) -> str:
        try:
            return b"".join(_as_byte(ch) for ch in match.group()).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return match.group()

    return _MOJIBAKE.sub(fix, text)


def normalize_text(text: str) -> str:
    """Mojibake repaired, Unicode NFC, unified newlines, no control characters, tidy blank lines."""
    text = unicodedata.normalize("NFC", repair_mojibake(text))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C" or ch == "\u200d")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def strip_boilerplate(text: str) -> str:
    """Drop trailing site boilerplate lines ("Leave a Comment", "More stories near you", ...)."""
    lines = text.split("\n")
    while lines and (not lines[-1].strip() or _BOILERPLATE_LINE.match(lines[-1])):
        lines.pop()
    while lines and (not lines[0].strip() or _BOILERPLATE_LINE.match(lines[0])):
        lines.pop(0)
    return "\n".join(lines).strip()


def article_id(text: str) -> str:
    """Stable id from the clean text: the same article always gets the same id."""
    canonical = re.sub(r"\s+", " ", text).strip().lower()
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def guess_title(text: str, max_chars: int = 140) -> str:
    """The first non-empty line, shortened to a readable title."""
    for line in text.split("\n"):
        line = line.strip()
        if line:
            return line if len(line) <= max_chars else line[: max_chars - 1].rsplit(" ", 1)[0] + "…"
    return "Untitled"


def looks_like_text(text: str) -> bool:
    """False for decoded binary data: too many replacement or control characters, or no letters."""
    if not text:
        return False
    sample = text[:20_000]
    bad = sum(1 for ch in sample if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\n\r\t"))
    letters = sum(1 for ch in sample if ch.isalpha())
    return bad / len(sample) < 0.02 and letters / len(sample) > 0.3


def make_article(
    text: str,
    *,
    title: str = "",
    source: str = "",
    date: str = "",
    max_chars: int = 2_000_000,
) -> Article:
    """Clean raw text into an Article, or raise IngestError with a clear reason."""
    if text is None or not str(text).strip():
        raise IngestError("The article is empty: there is no text to add.")
    if not looks_like_text(text):
        raise IngestError("This does not look like text (binary data or an unknown encoding).")
    clean = strip_boilerplate(normalize_text(text))
    if len(clean) < 20 or len(clean.split()) < 4:
        raise IngestError("The article is too short to be useful (fewer than 4 words).")
    if len(clean) > max_chars:
        raise IngestError(
            f"The article has {len(clean):,} characters, more than the limit of {max_chars:,} "
            "(setting max_article_chars / QA_BOT_MAX_ARTICLE_CHARS)."
        )
    title = normalize_text(title).replace("\n", " ") if title else guess_title(clean)
    return Article(id=article_id(clean), title=title, text=clean, source=source, date=date)
