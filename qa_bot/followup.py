"""Does a question stand on its own, or lean on the conversation? Decided from retrieval evidence.

A question stands on its own when the library holds a sentence with most of its key terms (weighted by
rarity): "Who requested the call?" finds "The call, requested by Russian officials, ...". "On which
day?", "And the other one?" and "What about Paris?" name nothing the library can place on their own
(no key term, or none found), so they lean on the earlier turns. A pronoun refers outside the question
and counts as one key term that is missing. A question of a few words with a single key term ("In what
country?", "What year?") names a kind of thing, not which one: finding that word somewhere is weak
evidence, so it counts half.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from .chunking import split_sentences
from .verify import TermWeights, about, key_terms

_REFERENCE = re.compile(r"\b(he|she|they|him|her|his|hers|its|it|their|theirs|them|there|then|that|those|"
                        r"these|this|former|latter|other|same)\b", re.I)


ELLIPTICAL_WORDS = 4  # "In what country?": a short question naming only a kind of thing


@dataclass
class Evidence:
    """How well the library places a question on its own."""

    terms: int  # key terms of the question
    references: int  # words pointing outside the question (pronouns, "the other")
    support: float  # best weighted share of the key terms found in one sentence (0..1)
    words: int = 0  # words in the question

    @property
    def score(self) -> float:
        """Support discounted by references: each unresolved reference counts as a missing term."""
        if not self.terms:
            return 0.0
        elliptical = self.terms == 1 and self.words <= ELLIPTICAL_WORDS
        return self.support * self.terms / (self.terms + self.references) * (0.5 if elliptical else 1.0)


def evidence(question: str, passages: Sequence[str]) -> Evidence:
    """The question's evidence in the retrieved passages' sentences (each with its neighbour before)."""
    terms = key_terms(question)
    refs = len(_REFERENCE.findall(question))
    sentences = [p[s:e] for p in passages for s, e in split_sentences(p)]
    words = len(question.split())
    if not terms or not sentences:
        return Evidence(len(terms), refs, 0.0, words)
    weights = TermWeights.of(sentences)
    best = max(about(question, s, weights, context=sentences[i - 1] if i else "") for i, s in enumerate(sentences))
    return Evidence(len(terms), refs, best, words)


def leans_on_history(question: str, passages: Sequence[str], threshold: float = 0.6) -> bool:
    """True when the question does not stand on its own in the retrieved passages."""
    return evidence(question, passages).score < threshold
