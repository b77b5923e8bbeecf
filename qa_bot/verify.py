"""Is a source sentence about what the question asks? Cheap checks on words, no model call.

An answer is only shown with a sentence that holds both the answer and the question's key terms
(weighted by how rare each term is among the sentences read): "Biden requested the call" finds no
sentence where "Biden" and "requested" meet, so it is caught; "Russian officials" is found in "The
call, requested by Russian officials, ...", which is about the question.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

from .extract import content, tokens
from .lexical import STOPWORDS

# what kind of answer a question wants, and a pattern an answer of that kind matches
# a month's name or its abbreviation ("Sept."), not any word that starts like one ("mayor", "market", "decision")
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_UNIT = (r"(?:second|minute|hour|day|week|month|year|decade|centur(?:y|ie))s?")
_SINCE = r"\b(?:since|until|till)\s+(?:the\s+)?(?:(?:late|early|mid)[- ]?\s*)?"  # "since the late "
_LENGTH = r"(?:mile|kilomet(?:er|re)|km|met(?:er|re)|feet|foot|inch(?:es)?|yard)s?"
# a duration ("50 minutes", not an age: "22-year-old"), a starting or ending date ("since the late 1980s",
# "until 2020"), a span of years ("from 1807 to 1815") or, for "How long is the 5K?", a length
_DURATION = re.compile(rf"(\d|\b(a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|forty|"
                       rf"fifty|several|few|many|half an?))[- ]{_UNIT}\b(?![- ]old\b)|"
                       rf"{_SINCE}(?:\d\w*|\b{_MONTH}\b|\b{_DAY}\b)|"
                       rf"\b\d{{4}}s?\s*(?:to|-|–|through|until)\s*\d{{4}}\b|\d[- ]{_LENGTH}\b", re.I)
ANSWER_TYPES: list[tuple[re.Pattern, re.Pattern]] = [
    (re.compile(r"^\s*how (long|much time)\b(?! ago)", re.I), _DURATION),
    (re.compile(r"^\s*how (many|much|old|far|big|tall)\b|\bwhat (number|percentage|amount)\b", re.I), re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|thousands?|millions?|"
                r"billions?|half|halves|thirds?|quarters?|twice|double|triple|percent)\b", re.I)),
]
_DATE = re.compile(rf"\d|\b{_MONTH}\b|\b{_DAY}\b|\b(today|yesterday|tomorrow|week|month|year|morning|night|ago|earlier|"
                   r"later|spring|summer|autumn|fall|winter)\b", re.I)
_WHEN_TYPES: list[tuple[re.Pattern, re.Pattern]] = [
    # a day ("Saturday", "September 11", "the 4th", "Election Day"), not a clock time: "What day will the
    # troupe perform?" is not answered "2 p.m"
    (re.compile(r"\b(what|which) day\b", re.I),
     re.compile(rf"\b{_DAY}s?\b|\b{_MONTH}\s+\d|\b\d+\s+{_MONTH}|\b\d+(st|nd|rd|th)\b|\b\d{{1,2}}/\d{{1,2}}\b|"
                r"\b(today|yesterday|tomorrow|tonight|day|christmas|easter|thanksgiving|eve|holiday)\b", re.I)),
    # a time of day ("8 p.m.", "9:30", "noon"), or a race's time ("2:12:35"); not "what time frame" nor
    # "what time of year" (a date's kind)
    (re.compile(r"\bwhat time\b(?!\s+(frame|period|span|scale|line|of\s+(the\s+)?year)\b)", re.I),
     re.compile(r"\d\s*[ap]\.?m\b|\d:\d\d|\b(noon|midday|midnight|morning|afternoon|evening|night|dawn|dusk|"
                r"o'clock|o’clock)\b", re.I)),
    (re.compile(r"^\s*when\b|^\s*how long ago\b|\b(what|which) (date|year|month|time)\b", re.I), _DATE),
]
ANSWER_TYPES += _WHEN_TYPES
_NEGATION = re.compile(r"\b(not|no|never|none|nobody|nothing|neither|nor|without|denied|denies|deny|refused|"
                       r"refuses|failed|fails|broke|n't)\b|n’t\b", re.I)


# a leading clause before the question proper: "When cells divide, what happens to their telomeres?" asks
# "what", not "when"; "When Ms. Whitehead left was she going to stay on?" asks yes or no (the clause is not
# itself the question: "When did he leave?" and "When was she born?" start with their auxiliary)
_AUX = r"(?:is|are|was|were|did|do|does|will|would|can|could|has|have|had|should)"
_LEADING_CLAUSE = re.compile(
    r"^\s*(?:when|if|after|before|as|once|while|since|although|though|because)\b"
    r"(?:[^,?]*,\s*(?=(?:what|who|whom|whose|which|where|why|how|when)\b)"
    rf"|\s+(?!{_AUX}\b)[^?]*?[\s,]\s*(?={_AUX}\s+(?:he|she|it|they|we|you|i|there)\b))", re.I)


_YES_NO = re.compile(r"^\s*(is|are|was|were|did|do|does|can|could|has|have|had|will|would|should|may|might)\b", re.I)


def main_clause(question: str) -> str:
    """The question without a leading clause that is not itself the question ("When cells divide, ...")."""
    return _LEADING_CLAUSE.sub("", question)


def yes_no_form(question: str) -> bool:
    """Is the question (its main clause) asked in the yes/no form ("Did he ...?", "Is it ... or ...?")?"""
    return bool(_YES_NO.match(main_clause(question)))


def since_start(text: str, start: int) -> int:
    """Where a date span starts when "since"/"until" before it belongs to the answer: "How long has she
    lived there?" is answered "since the late 1980s", not "1980s"."""
    m = re.search(_SINCE + r"$", text[max(0, start - 40):start], re.I)
    return start - len(m.group(0)) if m else start


def wants_type(question: str) -> re.Pattern | None:
    """The pattern an answer to ``question`` should match (a number, a duration, a date), if any."""
    question = main_clause(question)
    for asks, answer in ANSWER_TYPES:
        if asks.search(question):
            return answer
    return None


def asks_when(question: str) -> bool:
    """Does the question ask for a day, a time or a date ("When ...?", "What day ...?")?"""
    wanted = wants_type(question)
    return any(wanted is answer for _, answer in _WHEN_TYPES)


def typed_phrase(question: str, sentence: str) -> tuple[int, int] | None:
    """Offsets of the one phrase of the kind the question wants in the sentence ("One-quarter" for "How
    many seats ...?", "one in 50"); None when the question's kind is open or the sentence has none or
    several such phrases (words of that kind one word apart, with no comma between, make one phrase)."""
    pattern = wants_type(question)
    if pattern is None:
        return None
    groups: list[list[int]] = []
    for m in pattern.finditer(sentence):
        gap = sentence[groups[-1][1]:m.start()] if groups else ""
        year = re.fullmatch(r",\s*", gap) and sentence[m.start():m.start() + 4].isdigit()  # "March 3, 2015"
        if groups and ((len(gap.split()) <= 1 and not re.search(r"[,;:]", gap)) or year):
            groups[-1][1] = m.end()
        else:
            groups.append([m.start(), m.end()])
    return (groups[0][0], groups[0][1]) if len(groups) == 1 else None


# News often dates a thing by another event or by a season: "When did Napoleon write to Josephine?" -> "after
# he met Alexander the first time"; "When did Ms. Quick tell her daughter?" -> "As she was dying"; "When did San
# Antonio last lose at home?" -> "last season"; "... comment?" -> "in the coming months". Such an answer is of
# the kind "when" asks (not "what day" nor "what time"). Only the answer is held to this, not the sentence
# searched for one phrase of the kind (``typed_phrase``): "after" alone answers nothing. Of the 95 "when"
# questions of the NYT first half, 9 have no gold answer with a date in it, and 8 of those are of this kind.
_WHEN_BY_EVENT = re.compile(r"^\s*(?:when|whenever|while|as soon as|as|after|before|during|until|till|once|"
                            r"since)\b|\b(?:weeks|months|years|decades|centuries|seasons?|off-season|weekends?|"
                            r"holidays|era)\b", re.I)


# "How long did she stay?" -> "until Jacint's death": a time bounded by an event, as "when" may be answered
# ("since then", "until now" tell nothing)
_UNTIL_EVENT = re.compile(r"^\s*(?:until|till|since|throughout|for the rest of)\s+(?!(?:then|now|that|this)\b)\w",
                          re.I)


def type_matches(question: str, answer: str) -> bool | None:
    """Does ``answer`` look like what the question asks for? None when the question type is open."""
    pattern = wants_type(question)
    if pattern is None:
        return None
    return bool(pattern.search(answer)) or (pattern is _DATE and bool(_WHEN_BY_EVENT.search(answer))) \
        or (pattern is _DURATION and bool(_UNTIL_EVENT.search(answer)))


def negated(text: str) -> bool:
    return bool(_NEGATION.search(text))


@dataclass
class TermWeights:
    """Inverse sentence frequencies of words over the sentences read (rare words weigh more)."""

    df: dict[str, int]
    n: int

    @classmethod
    def of(cls, sentences: Sequence[str]) -> "TermWeights":
        df: dict[str, int] = {}
        for s in sentences:
            for w in {t.norm for t in tokens(s)}:
                df[w] = df.get(w, 0) + 1
        return cls(df, len(sentences))

    def weight(self, word: str) -> float:
        return math.log(1 + (self.n + 1) / (self.df.get(word, 0) + 0.5))


def key_terms(question: str) -> set[str]:
    """The question's content words (normalised)."""
    return content({t.norm for t in tokens(question)})


def about(question: str, sentence: str, weights: TermWeights, context: str = "") -> float:
    """Weighted share of the question's key terms found in the sentence (0..1); terms found only in
    ``context`` (the sentence before it, or the article's title) count half. 1.0 for a question
    without key terms."""
    terms = key_terms(question)
    if not terms:
        return 1.0
    here = {t.norm for t in tokens(sentence)}
    near = {t.norm for t in tokens(context)}
    total = sum(weights.weight(t) for t in terms)
    got = sum(weights.weight(t) * (1.0 if t in here or shares_stem(t, here) else 0.5 if t in near else 0.0)
              for t in terms)
    return got / total


# a question that names its candidates ("men or women?", "Iowa State versus Baylor", "which of the two")
# or asks for part of a name it holds
_CHOICE = re.compile(r"\b(or|versus|vs|against|between|which of|name|names|initials?)\b", re.I)


# "Is Cuomo a Democrat or Republican?", "more attention on social media or on air?": a question asked in the
# yes/no form that names its candidates is answered by one of them, in the question's own words
def candidates(question: str) -> set[str]:
    """The words naming the candidates of a question in the yes/no form that offers a choice ("Is Cuomo a
    Democrat or Republican?" -> democrat, republican; "with or without the charisma?" -> with, without):
    the words either side of "or" (an article or preposition after it skipped). These are the answer, not
    words to trim from it."""
    main = main_clause(question)
    if not _YES_NO.match(main):  # as yes_no_form, with the main clause found once
        return set()
    words = [t.norm for t in tokens(main)]
    out: set[str] = set()
    for i, word in enumerate(words):
        if word == "or" and 0 < i < len(words) - 1:
            after = next((w for w in words[i + 1:i + 3] if w not in STOPWORDS), words[i + 1])  # "or on air"
            out |= {words[i - 1], after}
    return out


def echoes(answer: str, question: str) -> bool:
    """Does the answer only repeat the question's own words ("emotions" for "What emotions was he?",
    "Saudi Arabia" for "What is the US supporting Saudi Arabia in?")? Not when the question names its
    candidates or asks for part of a name (``_CHOICE``; "What is the first name of Dmitry Peskov?", as a
    follow-up is rewritten), or is answered by a phrase of the kind it asks ("three" for "How many 3-point
    attempts ...?"): then the answer is one of its words."""
    terms = key_terms(answer)
    if not terms or _CHOICE.search(question) or type_matches(question, answer):
        return False
    asked = key_terms(question)
    return all(t in asked or shares_stem(t, asked) for t in terms)


def shares_stem(term: str, words: set[str]) -> bool:
    """Loose morphology: "request" ~ "requested", "invasion" ~ "invade" (a shared stem of 5+ letters)."""
    if len(term) < 5:
        return False
    stem = term[:5]
    return any(len(w) >= 5 and w[:5] == stem for w in words)


def negation_flip(claim: str, source: str) -> bool:
    """Does ``claim`` state with the opposite polarity what ``source`` states? True when the claim is
    negated and the source is not, or when the source negates a word the claim repeats un-negated
    ("he broke his promise to use the word" vs "he has used the word")."""
    claim_neg, source_neg = negated(claim), negated(source)
    if claim_neg and not source_neg:
        return True
    if source_neg and not claim_neg:
        claim_words = content({t.norm for t in tokens(claim)})
        for m in _NEGATION.finditer(source):
            clause = re.split(r"[.;!?][”’\"']?(?:\s|$)", source[m.end():m.end() + 60])[0]  # not past its sentence
            after = [t.norm for t in tokens(clause)]
            scope = [w for w in after if w in content(set(after))][:3]
            if any(w in claim_words for w in scope):
                return True
    return False


ROLE_WINDOW = 30  # words around a verb in the source where its subject and the names it acts on are looked for
ROLE_OBJECT_WORDS = 3


def roles_swapped(claim: str, source: str) -> bool:
    """Who did what to whom. The claim's subject (the name before its first content word, taken as its
    verb) and the name right after that verb ("Putin warns Biden") should stand the same way round that
    verb in the source. Swapped: the source has the subject before the verb but the name only before it
    too ("Biden reiterated the threat of sanctions, to which Putin responded by warning that ..."), or the
    name before the verb and the subject after it. Not judged (False) when the source lacks the verb or a
    name, so reordered clauses ("After struggling in Australia, Moon moved to ...") pass."""
    words = tokens(claim)
    verb = next((i for i, t in enumerate(words) if i and claim[t.start].islower() and t.norm not in STOPWORDS
                 and claim[t.start:t.end].isalpha()), None)
    if verb is None:
        return False
    subject = next((t.norm for t in reversed(words[:verb]) if claim[t.start].isupper()), None)
    # the name it acts on: the first one within three words after the verb ("warns Biden", "spoke to Blinken")
    name = next((t.norm for t in words[verb + 1:verb + 1 + ROLE_OBJECT_WORDS] if claim[t.start].isupper()), None)
    src = tokens(source)
    stem = words[verb].norm[:5]
    at = [i for i, t in enumerate(src) if t.norm == words[verb].norm or (len(stem) == 5 and t.norm[:5] == stem)]
    if subject is None or name is None or name == subject or not at:
        return False

    def near(term: str, lo: int, hi: int) -> bool:
        return any(t.norm == term for t in src[max(0, lo):max(0, hi)])

    as_claimed = any(near(subject, i - ROLE_WINDOW, i) and near(name, i + 1, i + 1 + ROLE_WINDOW) for i in at)
    if as_claimed:
        return False
    # swapped: the source has the subject before the verb but not the name after it ("Putin ... warning that
    # such a move ..." for "Putin warns Biden"), or the two the other way round ("Blinken spoke to Zelensky")
    return any((near(subject, i - ROLE_WINDOW, i) and near(name, 0, i))
               or (near(name, i - ROLE_WINDOW, i) and near(subject, i + 1, i + 1 + ROLE_WINDOW)) for i in at)
