"""Split article text into sentences and passages that keep character offsets."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace and an
# upper-case letter, digit or opening quote; or at a paragraph break.
_SENT_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])|\n\s*\n")
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Gen|Col|Lt|Sgt|Capt|Gov|Sen|Rep|Rev|Inc|Ltd|Co|Corp|vs|No|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|U\.S|U\.K|a\.m|p\.m|e\.g|i\.e)\.|\b[A-Z]\.)$"
)


@dataclass
class Passage:
    """A span of an article: text == article.text[start:end]."""

    article_id: str
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence, whitespace trimmed, abbreviations respected."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENT_END.finditer(text):
        end = match.start()
        if "\n" not in match.group() and _ABBREVIATIONS.search(text[max(start, end - 8): end]):
            continue
        end = match.start() + len(match.group()) - len(match.group().lstrip("\"'”’)]"))
        _add_span(text, start, end, spans)
        start = match.end()
    _add_span(text, start, len(text), spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def chunk_article(
    article_id: str,
    text: str,
    target_chars: int = 700,
    max_chars: int = 1200,
    overlap_sentences: int = 1,
) -> list[Passage]:
    """Group whole sentences into passages of about ``target_chars``.

    A sentence longer than ``max_chars`` is cut at word boundaries. Neighbouring passages share
    ``overlap_sentences`` sentences so an answer near a boundary is whole in one of them.
    """
    sentences: list[tuple[int, int]] = []
    for start, end in split_sentences(text):
        while end - start > max_chars:
            cut = text.rfind(" ", start, start + max_chars)
            cut = cut if cut > start else start + max_chars
            sentences.append((start, cut))
            start = cut + 1 if text[cut:cut + 1] == " " else cut
        sentences.append((start, end))
    passages: list[Passage] = []
    i = 0
    while i < len(sentences):
        j = i
        while j + 1 < len(sentences) and sentences[j + 1][1] - sentences[i][0] <= target_chars:
            j += 1
        start, end = sentences[i][0], sentences[j][1]
        passages.append(Passage(article_id, start, end, text[start:end]))
        if j + 1 >= len(sentences):
            break
        i = max(i + 1, j + 1 - overlap_sentences)
    return passages
