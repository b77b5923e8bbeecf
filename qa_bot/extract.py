"""Map a model's reply to the span of a source sentence that supports it.

Words are compared after normalising case, quotes, hyphens, thousands separators, number words and
plural endings, so "50 minutes" finds "50-minute" and "100000 troops" finds "100,000 soldiers"' number.
The span returned always indexes the source text: what is shown is what the article says.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .lexical import STOPWORDS

_WORD = re.compile(r"\d+(?:[,.]\d+)*|[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20", "thirty": "30", "forty": "40",
    "fifty": "50", "hundred": "100", "thousand": "1000", "first": "1st", "second": "2nd", "third": "3rd",
}
# words a question uses to ask, never evidence of what it asks about
QUESTION_WORDS = frozenset("what which who whom whose when where why how many much long kind type".split())


@dataclass(frozen=True)
class Token:
    """A normalised word with its character offsets in the text it came from."""

    norm: str
    start: int
    end: int


@dataclass(frozen=True)
class Span:
    """Character offsets of a supporting span in some text, and how well it covers the reply."""

    start: int
    end: int
    coverage: float  # share of the reply's informative words inside the span
    verbatim: bool  # the whole reply occurs in the text as it is

    def text(self, source: str) -> str:
        return source[self.start:self.end]


def norm_word(word: str) -> str:
    """One word normalised: lower case, straight apostrophes, no possessive, no thousands separators,
    number words as digits, a light plural/-ed/-ing stem."""
    w = word.lower().replace("’", "'")
    w = re.sub(r"'s$", "", w)
    if w[:1].isdigit():
        return w.replace(",", "").rstrip(".")
    w = _NUMBER_WORDS.get(w, w)
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 5 and w.endswith("ing"):
        return w[:-3]
    if len(w) > 5 and w.endswith("ed"):
        return w[:-2] if not w.endswith("ied") else w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    if len(w) > 4 and w.endswith("e"):  # "surge" ~ "surged" (-> "surg"), "invade" ~ "invaded"
        return w[:-1]
    return w


def tokens(text: str, offset: int = 0) -> list[Token]:
    """Normalised words of ``text`` with offsets (plus ``offset``)."""
    return [Token(norm_word(m.group()), offset + m.start(), offset + m.end()) for m in _WORD.finditer(text)]


def content(words: list[str] | set[str]) -> set[str]:
    """The informative words: not stopwords, not question words."""
    return {w for w in words if w not in STOPWORDS and w not in QUESTION_WORDS}


def informative(reply: str, question: str = "") -> list[str]:
    """The reply's words that carry its answer: content words the question does not already contain.
    Falls back to all content words when the reply only repeats the question."""
    asked = content({t.norm for t in tokens(question)})
    words = [t.norm for t in tokens(reply) if t.norm not in STOPWORDS]
    new = [w for w in words if w not in asked and w not in QUESTION_WORDS]
    return new or words


def _verbatim(reply: str, source: str) -> tuple[int, int] | None:
    """Offsets of the reply inside ``source`` comparing normalised words, if it occurs whole."""
    want = [t.norm for t in tokens(reply)]
    have = tokens(source)
    if not want:
        return None
    norms = [t.norm for t in have]
    for i in range(len(have) - len(want) + 1):
        if norms[i:i + len(want)] == want:
            return have[i].start, have[i + len(want) - 1].end
    return None


def best_span(reply: str, source: str, question: str = "", offset: int = 0, max_words: int = 30) -> Span | None:
    """The shortest span of ``source`` holding the most of the reply's informative words.

    A reply found whole in the source is taken whole (trimmed of the question's own words at its edges
    when those are all it adds); a paraphrase maps to the window between the first and the last
    of its informative words that the source holds. None when the source holds none of them.
    """
    want = informative(reply, question)
    if not want:
        return None
    have = tokens(source)
    wanted = set(want)
    hits = [i for i, t in enumerate(have) if t.norm in wanted]
    if not hits:
        return None
    whole = _verbatim(reply, source)
    if whole is not None and len(tokens(reply)) <= max_words:
        return Span(whole[0] + offset, whole[1] + offset, 1.0, True)
    # the window that covers the most distinct wanted words, shortest on ties
    best: tuple[float, int, int, int] | None = None
    for a in range(len(hits)):
        seen: set[str] = set()
        for b in range(a, len(hits)):
            if have[hits[b]].end - have[hits[a]].start > max_words * 8:
                break
            seen.add(have[hits[b]].norm)
            key = (len(seen), -(hits[b] - hits[a]), hits[a], hits[b])
            if best is None or key[:2] > best[:2]:
                best = key
    assert best is not None
    found, _, i, j = best
    coverage = found / len(wanted)
    return Span(have[i].start + offset, have[j].end + offset, coverage, False)


@functools.lru_cache(maxsize=50_000)
def verb_lemma(word: str) -> str:
    """A word's lemma as a verb, irregular forms included ("spoke" -> "speak", "wept" -> "weep"), from
    lemminflect's tables; the word itself (lower case) when it has none."""
    from lemminflect import getLemma

    found = getLemma(word.lower(), upos="VERB")
    return found[0].lower() if found else word.lower()


def trim_to_answer(span_text: str, question: str, named: frozenset[str] | set[str] = frozenset()) -> tuple[int, int]:
    """Offsets inside ``span_text`` with leading/trailing question words (in any verb form: "spoke to
    Zelensky" for "Who did he speak to?"), stopwords and punctuation cut ("the call was requested by
    Russian officials" -> "Russian officials"); the whole when nothing is new. The ``named`` candidates of
    a choice question are never cut, nor the question's words just before one ("social media" of "... on
    social media or on air?")."""
    asked_tokens = tokens(question)
    asked = content({t.norm for t in asked_tokens}) - set(named)
    asked_lemmas = {verb_lemma(question[t.start:t.end]) for t in asked_tokens if t.norm in asked}
    toks = tokens(span_text)
    keep = [i for i, t in enumerate(toks) if t.norm not in asked and t.norm not in STOPWORDS
            and verb_lemma(span_text[t.start:t.end]) not in asked_lemmas]
    if not keep:
        return 0, len(span_text)
    first, last = keep[0], keep[-1]
    if toks[first].norm in named:  # with the question's words just before it: "social media"
        pairs = {(a.norm, b.norm) for a, b in zip(asked_tokens, asked_tokens[1:])}
        while first > 0 and toks[first - 1].norm not in STOPWORDS and (toks[first - 1].norm, toks[first].norm) in pairs:
            first -= 1
    # a name goes whole, even when the question holds its last part ("Michael Chow" for "Who is Mrs. Chow
    # married to?")
    while last + 1 < len(toks) and span_text[toks[last].start:toks[last].start + 1].isupper() \
            and span_text[toks[last + 1].start:toks[last + 1].start + 1].isupper() \
            and not span_text[toks[last].end:toks[last + 1].start].strip():
        last += 1
    return toks[first].start, toks[last].end


def expand_number_unit(text: str, start: int, end: int) -> tuple[int, int]:
    """Keep a number's unit and a trailing percent sign or currency with it ("50-minute", "$5")."""
    while start > 0 and text[start - 1] in "$£€":
        start -= 1
    m = re.match(r"(?:-| )?(?:%|percent|per cent)", text[end:])
    if m and text[start:end][-1:].isdigit():
        end += m.end()
    return start, end


def without_possessive(text: str, start: int, end: int) -> int:
    """The end of a span without a trailing possessive "'s" ("Jesse Ball’s" -> "Jesse Ball"): for a question
    asking who, the answer is the person, not what they own."""
    return end - 2 if end - start > 2 and text[end - 2:end] in ("’s", "'s") else end


_OPENING = {"”": "“", "’": "‘"}


def whole_words(text: str, start: int, end: int, asked: frozenset[str] | set[str] = frozenset()) -> tuple[int, int]:
    """Widen a span to whole hyphenated words ("4,900-square" -> "4,900-square-foot") and to the
    opening quote of a quoted word it ends inside ("Grease”-like" -> "“Grease”-like"). A part that is one
    of the question's ``asked`` words stays out ("Hebrew" of "Hebrew-language" for "What language ...?").
    A span never starts or ends inside a word ("1850" -> "1850s")."""
    while 0 < end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    while 0 < start < len(text) and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) - 1 and text[end] in "-‐" and text[end + 1].isalnum():
        m = re.match(r"[\w’'.,]*\w", text[end + 1:])
        part = text[end + 1:end + 1 + (m.end() if m else 0)]
        if not part or {t.norm for t in tokens(part)} & asked:
            break
        end += 1 + len(part)
    while start > 1 and text[start - 1] in "-‐" and text[start - 2].isalnum():
        m = re.search(r"\w[\w’'.,]*$", text[:start - 1])
        if m is None or {t.norm for t in tokens(m.group())} & asked:
            break
        start = m.start()
    inside = text[start:end]
    for close, open_ in _OPENING.items():
        if close in inside and start and text[start - 1] == open_ and inside.count(open_) < inside.count(close):
            start -= 1
    return start, end


_PAIRS = (("(", ")"), ("[", "]"), ("“", "”"))
BALANCE_CHARS = 80  # how far a span may widen to take in the other half of a pair it holds one half of


def balanced(text: str, start: int, end: int) -> tuple[int, int]:
    """A span holding both halves of every bracket and curly quote pair it holds one half of.

    An aside left open at the end is cut ("cowhide top ($866, on sale" -> "cowhide top"); a quotation left
    open or closed is taken whole when its other half is near ("combat “imperialist aggression" -> "combat
    “imperialist aggression,”"); a stray half at the span's edge is dropped. A reader never sees half a pair
    (of straight quotes, only one at the span's edge is judged: their halves look alike)."""
    for open_, close in _PAIRS:
        inside = text[start:end]
        if inside.count(open_) > inside.count(close):
            at = start + inside.rindex(open_)
            after = text.find(close, end, min(len(text), end + BALANCE_CHARS))
            before = text[start:at].rstrip(" ,;:—–-")
            if open_ != "“" and before.strip():  # an aside: the answer is what comes before it
                end = start + len(before)
            elif after >= 0:
                end = after + 1
            elif at == start:
                start += 1
        elif inside.count(close) > inside.count(open_):
            at = start + inside.index(close)
            opened = text.rfind(open_, max(0, start - BALANCE_CHARS), start)
            if opened >= 0 and close not in text[opened:start]:
                start = opened
            elif at == end - 1:
                end = at
        while start < end and (text[start].isspace() or text[start] in ",;:"):
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
    inside = text[start:end]
    if inside.count('"') % 2:  # a straight quote's halves look alike: only one at an edge is judged
        if inside.endswith('"'):
            opened = text.rfind('"', max(0, start - BALANCE_CHARS), start)
            start, end = (opened, end) if opened >= 0 else (start, end - 1)
        elif inside.startswith('"'):
            closed = text.find('"', end, min(len(text), end + BALANCE_CHARS))
            start, end = (start, closed + 1) if closed >= 0 else (start + 1, end)
    return start, end
