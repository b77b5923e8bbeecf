"""Choose an article's key sentences: news puts its key facts first (lead bias), plus salience (the
sentence shares the words the article keeps coming back to)."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .chunking import split_sentences
from .grounding import is_instruction
from .lexical import tokenize

# bylines, datelines and picture credits that papers put before the story
_NOT_NEWS = re.compile(r"^\s*(by\b|published:|updated:|last updated|posted\b|photo:|image:|pictured:)|\|", re.I)


@dataclass(frozen=True)
class KeySentence:
    """A sentence of the article with its offsets and rank score."""

    start: int
    end: int
    text: str
    position: int
    score: float


def news_sentences(text: str, title: str = "") -> list[tuple[int, int]]:
    """Offsets of the sentences that carry news: not the title line, bylines, instructions to a model,
    nor fragments of under five words."""
    out = []
    for s, e in split_sentences(text):
        sentence = text[s:e]
        if is_instruction(sentence) or _NOT_NEWS.search(sentence) or len(sentence.split()) < 5:
            continue
        if title and sentence.strip() == title.strip() and not sentence.rstrip().endswith((".", "!", "?", '"', "”")):
            continue
        out.append((s, e))
    return out


def key_sentences(text: str, count: int, title: str = "", lead_weight: float = 0.6,
                  max_words: int = 60) -> list[KeySentence]:
    """The ``count`` best sentences, in article order. Score: ``lead_weight`` * 1/sqrt(1+position) +
    (1 - ``lead_weight``) * salience (mean article frequency of its words, relative to the best)."""
    spans = news_sentences(text, title)
    if not spans:
        return []
    freq = Counter(tokenize(text))
    sal = []
    for s, e in spans:
        words = tokenize(text[s:e])
        sal.append(sum(freq[w] for w in set(words)) / (len(set(words)) + 3) if words else 0.0)
    top = max(sal) or 1.0
    scored = []
    for n, ((s, e), value) in enumerate(zip(spans, sal)):
        score = lead_weight / (1 + n) ** 0.5 + (1 - lead_weight) * value / top
        if len(text[s:e].split()) > max_words:
            score *= 0.5  # a run-on "sentence" (a list, a table) makes a poor summary line
        scored.append(KeySentence(s, e, text[s:e], n, score))
    best: list[KeySentence] = []
    waiting: list[KeySentence] = []  # sentences that lean on one before them not chosen yet

    def room_for(k: KeySentence) -> bool:
        return len(best) < count and not any(repeats(k.text, b.text) for b in best)

    for k in sorted(scored, key=lambda k: -k.score):
        if not room_for(k):
            continue
        if leans_back(k.text) and k.position and not any(0 < k.position - b.position <= LEAN_BACK for b in best):
            waiting.append(k)
            continue
        best.append(k)
        for w in list(waiting):  # the sentence it leans on is chosen now
            if 0 < w.position - k.position <= LEAN_BACK and room_for(w):
                best.append(w)
                waiting.remove(w)
    return sorted(best, key=lambda k: k.position)


# "They were accused of deliberately inciting conflict." in a summary without the sentences before it: who?
_LEANS_BACK = re.compile(r"^\W*(?:he|she|they|his|her|their|him|them)\b", re.I)
LEAN_BACK = 2  # how many sentences back the one naming them may be ("He added ..." after a quotation)


def leans_back(sentence: str) -> bool:
    """Does the sentence start with a pronoun naming someone only the sentences before it name? Such a
    sentence is a key sentence only beside one of the ``LEAN_BACK`` before it (an "It" is often no one: "It
    is hoped ...")."""
    return bool(_LEANS_BACK.match(sentence))


# Captions and pull quotes restate the story in other words ("Bob Arum has revealed that the contracts for
# the mega fight next weekend have yet to be signed" after "... the contracts for his fight against Floyd
# Mayweather ... have yet to be signed"). At 0.8 a summary could say one thing twice; at 0.7, on the CNN/DM
# first half (38 articles), four summaries change, two of them lose a repeated sentence, and ROUGE against
# the first N words moves from +1.4/+1.5/+2.0 to +1.6/+1.5/+2.3 (0.6: +1.1/+1.0/+1.9). XSum first half (20): same.
REPEAT_SHARE = 0.7


def repeats(a: str, b: str) -> bool:
    """Does one sentence say again what the other says (a caption repeating the story's sentence)? Most
    of the shorter one's words are in the other."""
    wa, wb = set(tokenize(a)), set(tokenize(b))
    return bool(wa and wb) and len(wa & wb) >= REPEAT_SHARE * min(len(wa), len(wb))
