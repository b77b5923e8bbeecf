"""Word tokens for lexical matching: the terms SQLite FTS5 indexes (BM25) and grounding compares."""
from __future__ import annotations

import re

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
