"""Example questions for the chat's empty state, picked from the library (never hard-coded)."""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

from .articles import Article
from .lexical import STOPWORDS

# a full name introduced by what the person is ("Kremlin spokesman Dmitry Peskov"): a word before it
_INTRODUCED = re.compile(r"\b([a-z][a-z-]{3,}) ([A-Z][a-z]+) ([A-Z][a-z]{2,})\b(?! [A-Z])")
_HONORIFIC = {"mr", "mrs", "ms", "dr", "and", "said", "told", "by", "with"}


def people(article: Article) -> list[str]:
    """Full names the article introduces with a role, most mentioned (by surname) first."""
    text = article.text
    counts: Counter[str] = Counter()
    for m in _INTRODUCED.finditer(text):
        before, first, last = m.group(1), m.group(2), m.group(3)
        # a role word ("spokesman"), not a verb or plural ("told", "guarantees") nor a title ("Mr")
        if (before in _HONORIFIC or before.endswith(("s", "ed", "ing")) or first.lower() in _HONORIFIC
                or last.lower() in STOPWORDS):
            continue
        counts[f"{first} {last}"] = len(re.findall(rf"\b{re.escape(last)}\b", text))
    return [name for name, _ in counts.most_common()]


def example_questions(articles: Iterable[Article], count: int = 3) -> list[str]:
    """Up to ``count`` - 1 "Who is ...?" questions about people the articles (newest first) introduce,
    then "Give me a short summary". Reads only as many articles as it needs."""
    questions: list[str] = []
    articles = iter(articles)
    while len(questions) < count - 1 and (article := next(articles, None)) is not None:
        for name in people(article)[:2]:
            if len(questions) < count - 1 and f"Who is {name}?" not in questions:
                questions.append(f"Who is {name}?")
    return questions + ["Give me a short summary"]
