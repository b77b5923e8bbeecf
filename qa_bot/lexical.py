"""Word tokens for lexical matching: the terms SQLite FTS5 indexes (BM25) and grounding compares."""
from __future__ import annotations

import functools
import math
import re
from collections import Counter
from typing import Mapping

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


def fts_terms(text: str) -> str:
    """The text as FTS5 indexes it: our tokens joined by spaces (stopwords out, light stemming in)."""
    return " ".join(tokenize(text))


def fts_query(text: str) -> str:
    """An FTS5 MATCH expression that matches any of the query's tokens (quoted: no operators)."""
    return " OR ".join(f'"{t}"' for t in dict.fromkeys(tokenize(text)))


def bm25_scores(query: str, texts: Mapping[int, str], passages: int, avg_len: float, df: Mapping[str, int],
                k1: float = 1.2, b: float = 0.75) -> dict[int, float]:
    """Okapi BM25 of a few candidate passages (``pid -> text``) for ``query``, with the library's
    statistics (passage count, mean length in tokens, document frequency of each query token)."""
    terms = [t for t in dict.fromkeys(tokenize(query)) if df.get(t)]
    if not terms or passages <= 0:
        return {}
    idf = {t: math.log(1 + (passages - df[t] + 0.5) / (df[t] + 0.5)) for t in terms}
    avg_len = avg_len or 1.0
    out: dict[int, float] = {}
    for pid, text in texts.items():
        length, counts = 0, Counter()
        for word, n in Counter(_TOKEN.findall(text.lower())).items():  # stem each distinct word once
            if word not in STOPWORDS:
                length += n
                stem = _stem_memo(word)
                if stem in idf:
                    counts[stem] += n
        norm = k1 * (1 - b + b * length / avg_len)
        score = sum(idf[t] * tf * (k1 + 1) / (tf + norm) for t, tf in counts.items())
        if score > 0:
            out[pid] = score
    return out


_stem_memo = functools.lru_cache(maxsize=100_000)(_stem)
