"""Short, faithful article summaries: map-reduce for long articles, cached per article/model/length."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from .articles import Article
from .chunking import split_sentences
from .grounding import is_instruction, restore_numbers, unsupported_terms
from .streaming import final

log = logging.getLogger(__name__)

LENGTHS: dict[str, dict[str, Any]] = {
    "short": {"instruction": "in at most three sentences (under 70 words)", "words": 80, "tokens": 130},
    "medium": {"instruction": "in one paragraph of four to six sentences (under 150 words)", "words": 160, "tokens": 240},
    "bullets": {"instruction": "as three to five bullet points, each a short sentence starting with '- '",
                "words": 120, "tokens": 200},
}

SYSTEM_PROMPT = (
    "You summarise news articles faithfully. State only facts the article states; keep names, numbers "
    "and dates exactly as written; do not add background knowledge, opinions or a title."
)


@dataclass
class Summary:
    """A summary of one or more articles, with the names/numbers it states that the articles do not."""

    summary: str
    article_ids: list[str]
    length: str = "short"
    unsupported: list[str] = field(default_factory=list)
    cached: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def words(self) -> int:
        return len(self.summary.split())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["words"] = self.words
        data["timings"] = {k: round(v, 3) for k, v in self.timings.items()}
        return data


def limit_words(text: str, max_words: int, bullets: bool = False) -> str:
    """Cut to whole sentences (or bullet lines) within ``max_words``."""
    if len(text.split()) <= max_words:
        return text
    units = [line for line in text.split("\n") if line.strip()] if bullets else \
        [text[s:e] for s, e in split_sentences(text)]
    kept: list[str] = []
    for unit in units:
        if len(" ".join(kept + [unit]).split()) > max_words:
            break
        kept.append(unit)
    if not kept:  # one very long sentence: cut at a word boundary
        return " ".join(text.split()[:max_words]).rstrip(",;:") + "…"
    return ("\n" if bullets else " ").join(kept)


class Summarizer:
    """Summarise articles with a generator; long ones map-reduce over sections."""

    def __init__(self, generator, cache_dir: str | Path, context_tokens: int = 1800, input_tokens: int = 0) -> None:
        """``cache_dir``: the folder of cached summaries (one JSON file per article, model and length).

        ``input_tokens``: read only the article's leading sentences up to this many tokens (0: all of
        it). News puts the key facts first, and the model's reading time grows with its input.
        """
        if context_tokens < 200:
            raise ValueError("context_tokens must be >= 200")
        if input_tokens and input_tokens < 100:
            raise ValueError("input_tokens must be 0 (whole article) or >= 100")
        self.generator = generator
        self.cache_dir = Path(cache_dir).expanduser()
        self.context_tokens = context_tokens
        self.input_tokens = input_tokens

    def _cache_path(self, article: Article, length: str) -> Path:
        key = hashlib.sha256(f"{self.generator.name}|{length}|{SYSTEM_PROMPT}|{LENGTHS[length]}|{self.input_tokens}".encode()).hexdigest()[:10]
        return self.cache_dir / f"{article.id}-{length}-{key}.json"

    def cached(self, article: Article, length: str) -> Summary | None:
        path = self._cache_path(article, length)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Summary(data["summary"], [article.id], length, data.get("unsupported", []), cached=True)
        except (OSError, ValueError, KeyError):
            return None

    def _store(self, article: Article, summary: Summary) -> None:
        path = self._cache_path(article, summary.length)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps({"summary": summary.summary, "unsupported": summary.unsupported}), encoding="utf-8")
        os.replace(tmp, path)

    def _messages(self, text: str, instruction: str) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Article:\n{text}\n\nSummarise this article {instruction}."},
        ]

    def lead(self, text: str) -> str:
        """The article's leading whole sentences within ``input_tokens`` (the whole text if it fits)."""
        if not self.input_tokens or self.generator.count_tokens(text) <= self.input_tokens:
            return text
        kept, used = [], 0
        for s, e in split_sentences(text):
            cost = self.generator.count_tokens(text[s:e]) + 1
            if kept and used + cost > self.input_tokens:
                break
            kept.append(text[s:e])
            used += cost
        return " ".join(kept)

    def sections(self, text: str) -> list[str]:
        """Split a long article into sections that fit the generator's budget."""
        budget_chars = self.context_tokens * 4
        out, current = [], ""
        for s, e in split_sentences(text):
            sentence = text[s:e]
            if current and len(current) + len(sentence) + 1 > budget_chars:
                out.append(current)
                current = ""
            current = f"{current} {sentence}".strip()
        if current:
            out.append(current)
        return out

    def stream_one(self, article: Article, length: str = "short", background: bool = False) -> Iterator[str | Summary]:
        """Yield summary text pieces, then the final :class:`Summary` of one article.

        ``background``: give way to user requests (raises ``Preempted``; see ``Generator.stream``).
        """
        if length not in LENGTHS:
            raise ValueError(f"length must be one of {', '.join(LENGTHS)}")
        t0 = time.perf_counter()
        hit = self.cached(article, length)
        if hit is not None:
            hit.timings = {"total_s": time.perf_counter() - t0}
            yield hit.summary
            yield hit
            return
        spec = LENGTHS[length]
        # sentences addressed to the model (prompt injection) are not part of the news
        text = " ".join(article.text[s:e] for s, e in split_sentences(article.text)
                        if not is_instruction(article.text[s:e]))
        text = self.lead(text)
        if self.generator.count_tokens(text) > self.context_tokens:
            parts = self.sections(text)
            log.info("Article %s is long: map-reduce over %d sections", article.id, len(parts))
            notes = [
                self.generator(self._messages(part, "in two or three sentences with its key facts"), 120,
                               background=background).strip()
                for part in parts
            ]
            text = f"{article.title}\n\n" + "\n".join(notes)
        raw = ""
        for piece in self.generator.stream(self._messages(text, spec["instruction"]), spec["tokens"], background):
            raw += piece
            yield piece
        summary_text = limit_words(restore_numbers(_tidy(raw, length == "bullets"), article.text), spec["words"],
                                   length == "bullets")
        result = Summary(summary_text, [article.id], length, unsupported_terms(summary_text, article.text))
        if result.unsupported:
            log.warning("Summary of %s states terms absent from the article: %s", article.id, result.unsupported)
        self._store(article, result)
        result.timings = {"total_s": time.perf_counter() - t0}
        yield result

    def stream(self, articles: Sequence[Article], length: str = "short") -> Iterator[str | Summary]:
        """Summaries of several articles, one after the other under their titles."""
        if not articles:
            raise ValueError("no articles to summarise")
        if len(articles) == 1:
            yield from self.stream_one(articles[0], length)
            return
        t0 = time.perf_counter()
        parts, unsupported = [], []
        for n, article in enumerate(articles):
            heading = f"{'' if n == 0 else chr(10) * 2}**{article.title}**\n"
            yield heading
            for item in self.stream_one(article, length):
                if isinstance(item, Summary):
                    parts.append(f"**{article.title}**\n{item.summary}")
                    unsupported += [u for u in item.unsupported if u not in unsupported]
                else:
                    yield item
        yield Summary("\n\n".join(parts), [a.id for a in articles], length, unsupported,
                      timings={"total_s": time.perf_counter() - t0})

    def __call__(self, articles: Article | Sequence[Article], length: str = "short") -> Summary:
        items = [articles] if isinstance(articles, Article) else list(articles)
        return final(self.stream(items, length), Summary)


def _tidy(raw: str, bullets: bool) -> str:
    text = raw.strip()
    text = re.sub(r"^(here is |here's )?(a |the )?(short |brief )?summary( of the article)?\s*:?\s*", "", text, flags=re.I)
    text = re.sub(r"^\*\*?summary\*\*?:?\s*", "", text, flags=re.I)
    if bullets:
        lines = [re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "- ", line) for line in text.split("\n") if line.strip()]
        return "\n".join(lines)
    return re.sub(r"\s+", " ", text)
