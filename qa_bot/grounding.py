"""Checks that generated text stays within its sources: answer grounding, unsupported names/numbers."""
from __future__ import annotations

import re

from .lexical import STOPWORDS, tokenize

_NOT_FOUND = re.compile(
    r"\b(not found|not (mentioned|stated|specified|provided|given|included|in the (excerpts?|articles?|text))|"
    r"(no|does not|doesn't|do not|don't) (contain|provide|mention|say|include|state|specify|information)|"
    r"cannot (be )?(answer|determine|find)|can't (answer|determine|find)|unable to|no information|"
    r"unknown|there is no mention)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
# A capitalised word, possibly several joined (names like "Antony Blinken", "New York")
# a capitalised word run; letters beyond ASCII count ("Les Misérables", "Jörg Düsterwald")
_NAME = re.compile(r"\b[A-ZÀ-ÖØ-Þ][^\W\d_’'\-]*[\w’'\-]*(?:\s+[A-ZÀ-ÖØ-Þ][\w’'\-]+)*")


# Sentences in an article that address the model rather than the reader (prompt injection).
_INSTRUCTION = re.compile(
    r"(?i:\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|prompts?|rules|above|previous|system)\b)|"
    r"(?i:\b(reply|respond|answer|say|output|print|write)\b\s+(only\s+)?(with\s+)?(the word\s+)?)[\"'“]?[A-Z]{3,}\b|"
    r"(?i:\b(you are now|as an ai|language model|system prompt|jailbreak)\b)"
)


def is_instruction(sentence: str) -> bool:
    """True for a sentence that tries to instruct the model ("Ignore previous instructions...")."""
    return bool(_INSTRUCTION.search(sentence))


def says_not_found(text: str) -> bool:
    """True when a model reply declares that the sources lack the answer."""
    return bool(_NOT_FOUND.search(text))


def grounding_score(answer: str, context: str) -> float:
    """Share of the answer's content tokens that occur in ``context`` (1.0 for an empty answer)."""
    words = [w for w in tokenize(answer) if w not in STOPWORDS]
    if not words:
        return 1.0
    available = set(tokenize(context))
    available |= {w.replace(",", "") for w in available}
    return sum(1 for w in words if w in available) / len(words)


def _number_forms(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


_WORD_NUMBERS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifty": "50",
    "hundred": "100", "thousand": "1000", "million": "1000000",
}


_MONTHS = {m: m[:3] for m in ("january", "february", "march", "april", "june", "july", "august", "september",
                               "october", "november", "december")}


def _words(text: str) -> list[str]:
    """Words with typographic apostrophes unified, possessive 's dropped ("Russia’s" -> "russia") and quote
    marks at their edges left out ("'Suddenly" -> "suddenly", "dogs'" -> "dogs")."""
    return [w for w in (re.sub(r"'s$", "", w).strip("'") for w in re.findall(r"[\w'’\-]+", text.replace("’", "'")))
            if w]


_SPLIT_NUMBER = re.compile(r"\b(\d{1,3}(?:,\d{3})*), (\d{3})\b")


def restore_numbers(generated: str, source: str) -> str:
    """Rejoin numbers the model wrote with a space after a thousands separator ("373, 782") where the
    source has them whole ("373,782"): small models emit digits one token at a time and slip here."""
    def join(match: re.Match) -> str:
        whole = f"{match.group(1)},{match.group(2)}"
        return whole if whole in source and match.group() not in source else match.group()

    previous = None
    while previous != generated:  # "1, 234, 567" takes two passes
        previous, generated = generated, _SPLIT_NUMBER.sub(join, generated)
    return generated


def unsupported_terms(generated: str, source: str) -> list[str]:
    """Numbers and names in ``generated`` that do not occur in ``source``.

    Numbers compare without thousands separators (and accept a number spelled as a word in the
    source); names compare case-insensitively word by word, so "Putin" is supported by "Vladimir Putin".
    """
    source_lower = source.lower()
    source_numbers = _number_forms(source)
    source_numbers |= {digit for word, digit in _WORD_NUMBERS.items() if re.search(rf"\b{word}\b", source_lower)}
    source_words = set(_words(source_lower))
    source_words |= {full for full, short in _MONTHS.items() if short in source_words}
    missing: list[str] = []
    for number in _NUMBER.findall(generated):
        plain = number.replace(",", "").rstrip(".")
        if plain not in source_numbers and number not in missing:
            missing.append(number)
    for match in _NAME.finditer(generated):
        name = match.group()
        words = [_MONTHS.get(w, w) if _MONTHS.get(w, w) in source_words else w
                 for w in _words(name.lower()) if w not in STOPWORDS]
        # a capitalised sentence-initial common word ("The", "Officials") is not a name claim
        if not words or all(w in source_words for w in words):
            continue
        before = generated[: match.start()].rstrip().rstrip("'\"‘“").rstrip()  # after an opening quote too
        at_sentence_start = not before or before[-1:] in ".!?:-•*\n"
        unknown = [w for w in words if w not in source_words]
        if at_sentence_start and len(words) == 1:
            continue
        if unknown and name not in missing:
            missing.append(name)
    return missing
