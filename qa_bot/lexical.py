"""A small in-memory BM25 index over passages, for hybrid retrieval."""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from typing import Iterable

STOPWORDS = frozenset(
    """a an and are as at be been but by did do does for from had has have he her his how i if in into is it
    its me my no not of on or our she so than that the their them then there these they this those to was we
    were what when where which who whom whose why will with would you your about after also any can could
    just more most other over such up very s t""".split()
)
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stopwords, with a light plural/-ing stemmer."""
    return [_stem(t) for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]


def _stem(token: str) -> str:
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 5 and token.endswith("ing"):
        return token[:-3]
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


class BM25:
    """Okapi BM25 over a list of documents; rows align with the dense index."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.lengths: list[int] = []

    @classmethod
    def build(cls, texts: Iterable[str]) -> "BM25":
        index = cls()
        for text in texts:
            index.add(text)
        return index

    def add(self, text: str) -> None:
        row = len(self.lengths)
        counts = Counter(tokenize(text))
        for term, tf in counts.items():
            self.postings[term].append((row, tf))
        self.lengths.append(sum(counts.values()))

    def __len__(self) -> int:
        return len(self.lengths)

    def scores(self, query: str, rows: set[int] | None = None) -> dict[int, float]:
        """BM25 score of every document that shares a term with ``query`` (optionally only ``rows``)."""
        n = len(self.lengths)
        if n == 0:
            return {}
        avg = sum(self.lengths) / n or 1.0
        out: dict[int, float] = defaultdict(float)
        for term in set(tokenize(query)):
            plist = self.postings.get(term)
            if not plist:
                continue
            idf = math.log(1 + (n - len(plist) + 0.5) / (len(plist) + 0.5))
            for row, tf in plist:
                if rows is not None and row not in rows:
                    continue
                norm = tf + self.k1 * (1 - self.b + self.b * self.lengths[row] / avg)
                out[row] += idf * tf * (self.k1 + 1) / norm
        return dict(out)
