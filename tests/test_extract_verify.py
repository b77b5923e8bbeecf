"""Span extraction and sentence checks, on any text (no model)."""
from qa_bot.extract import best_span, expand_number_unit, trim_to_answer
from qa_bot.verify import TermWeights, about, key_terms, negation_flip, roles_swapped, type_matches

SENTENCE = "The call, requested by Russian officials, comes as talks are due in Geneva on Jan. 10."


def test_verbatim_reply_is_found_whatever_its_case_quotes_and_number_format():
    span = best_span("russian officials", SENTENCE)
    assert span.verbatim and span.text(SENTENCE) == "Russian officials"
    text = "Ahead of Thursday’s 50-minute conversation, the White House spoke."
    assert best_span("50 minutes", text).text(text) == "50-minute"
    text = "The army moved 100,000 soldiers."
    assert best_span("100000 soldiers", text).text(text) == "100,000 soldiers"


def test_paraphrase_maps_to_the_words_it_adds_to_the_question():
    question = "Who requested the call?"
    span = best_span("The call was requested by the Russian officials.", SENTENCE, question)
    assert span.text(SENTENCE) == "Russian officials" and span.coverage == 1.0
    assert best_span("Biden requested the call.", SENTENCE, question) is None


def test_trim_and_units():
    assert trim_to_answer("Kremlin spokesman Dmitry Peskov", "Who is the Kremlin spokesman?") == (18, 31)
    span = "spoke to Ukrainian President Volodymyr Zelensky"  # an irregular form of the question's verb
    assert span[slice(*trim_to_answer(span, "Who did Antony Blinken speak to?"))] == "Ukrainian President Volodymyr Zelensky"
    text = "Prices rose 5 percent."
    assert text[slice(*expand_number_unit(text, 12, 13))] == "5 percent"


def test_about_weighs_rare_question_terms():
    sentences = [SENTENCE, "Biden and Putin held a video call.", "Biden warned of sanctions in the call."]
    weights = TermWeights.of(sentences)
    question = "Who requested the call?"
    assert about(question, SENTENCE, weights) == 1.0
    assert about(question, sentences[1], weights) < 0.5


def test_answer_kind():
    assert type_matches("How long was the call?", "50-minute") is True
    assert type_matches("How long was the call?", "second phone call") is False
    assert type_matches("How many soldiers?", "Dmitry Peskov") is False
    assert type_matches("On which day?", "Wednesday") is True
    assert type_matches("Who spoke?", "anyone") is None


def test_when_is_answered_by_a_date_an_event_or_a_season_not_a_word_like_a_month():
    for answer in ("Sept. 4", "in December", "after he met Alexander the first time", "As she was dying",
                   "last season", "in the coming months", "whenever engine power was less important"):
        assert type_matches("When did it happen?", answer) is True, answer
    for answer in ("the mayor", "a market stall", "the decision", "in the basement"):
        assert type_matches("When did it happen?", answer) is False, answer
    assert type_matches("What day did it happen?", "after the game") is False  # a day is asked
    assert type_matches("What time did it start?", "as soon as he arrived") is False
    # "how long" is answered by a duration, or by the event that bounds it
    assert type_matches("How long did she stay?", "until Jacint's death") is True
    assert type_matches("How long did she stay?", "after the storm") is False


def test_negation_flip():
    assert negation_flip("Obama has used the word genocide.", "Obama broke his promise to use the word genocide.")
    assert not negation_flip("Talks are due in Geneva.", SENTENCE)
    # a negation does not reach into the next sentence
    assert not negation_flip("He wants to make more Stonewall films.",
                             "He replied: “No. No.” He noted that he had shown the film to two veterans.")


def test_roles_swapped():
    source = ("Mr Putin's foreign policy official said Mr Biden reiterated the US threat of new sanctions against "
              "Russia in the event of escalation or invasion, to which Mr Putin responded by warning that such a "
              "move could lead to a total severance of relations.")
    assert roles_swapped("Putin warns Biden of potential sanctions.", source)
    assert not roles_swapped("Biden reiterated the threat of sanctions against Russia.", source)
    assert not roles_swapped("Putin warned of a total severance of relations.", source)
    call = "US Secretary of State Antony Blinken spoke to Ukrainian President Volodymyr Zelensky on Wednesday."
    assert not roles_swapped("Blinken spoke to Zelensky on Wednesday.", call)
    assert roles_swapped("Zelensky spoke to Blinken on Wednesday.", call)
    assert not roles_swapped("Blinken met Zelensky.", call)  # a verb the source lacks is not judged


def test_spans_widen_to_whole_hyphenated_words_and_their_opening_quote():
    from qa_bot.extract import whole_words

    text = "The 4,900-square-foot house has a “Grease”-like wave and a well-known owner."
    for part, whole in [("4,900-square", "4,900-square-foot"), ("Grease”-like wave", "“Grease”-like wave"),
                        ("known owner", "well-known owner"), ("house", "house")]:
        start = text.index(part)
        s, e = whole_words(text, start, start + len(part))
        assert text[s:e] == whole
    text = "The Hebrew-language indictment was read out."
    assert whole_words(text, 4, 10, key_terms("What language was the indictment in?")) == (4, 10)  # "Hebrew"


def test_fractions_and_multiples_answer_how_many():
    from qa_bot.verify import type_matches

    question = "How many entry-level employees does the carmaker employ compared to its rival?"
    assert type_matches(question, "less than half") and type_matches(question, "twice as many")
    assert type_matches(question, "its rival") is False


def test_spans_never_end_inside_a_word():
    from qa_bot.extract import whole_words

    text = "The oldest sections date back to the 1850s, officials said."
    start = text.index("1850")
    lo, hi = whole_words(text, start, start + 4)
    assert text[lo:hi] == "1850s"


def test_the_one_phrase_of_the_kind_asked():
    from qa_bot.verify import typed_phrase

    def phrase(question: str, sentence: str) -> str | None:
        found = typed_phrase(question, sentence)
        return found and sentence[found[0]:found[1]]

    assert phrase("How many said they smoked?", "Fewer than one in 50 students reported smoking.") == "one in 50"
    assert phrase("When did it open?", "It opened on March 3, 2015, to crowds.") == "March 3, 2015"
    assert phrase("How many came?", "In 2010, 45 people came and 30 left.") is None  # several: no guess
    assert phrase("Who came?", "In 2010, 45 people came.") is None  # an open kind


def test_a_name_is_not_cut_at_the_question_word_it_ends_with():
    from qa_bot.extract import trim_to_answer

    span = "Michael Chow"
    a, b = trim_to_answer(span, "Who is Mrs. Chow married to?")
    assert span[a:b] == "Michael Chow"
    span = "Kremlin spokesman Dmitry Peskov"
    a, b = trim_to_answer(span, "Who is the Kremlin spokesman?")
    assert span[a:b] == "Dmitry Peskov"


def test_a_span_holds_both_halves_of_a_pair_or_neither():
    from qa_bot.extract import balanced

    def fix(text: str, part: str) -> str:
        start = text.index(part)
        return text[slice(*balanced(text, start, start + len(part)))]

    text = "She wore a gray cowhide top ($866, on sale from $4,625) and jeans."
    assert fix(text, "gray cowhide top ($866, on sale") == "gray cowhide top"  # an aside left open: cut
    text = "The moves are meant to combat “imperialist aggression,” he told a throng."
    assert fix(text, "combat “imperialist aggression") == "combat “imperialist aggression,”"
    text = "It is “The Sleeping Beauty” (1890), the most classical of all."
    assert fix(text, "Sleeping Beauty” (1890") == "“The Sleeping Beauty”"
    assert fix(text, "the most classical") == "the most classical"  # nothing to balance
    assert fix("(CNN) The man said", "(CNN") == "(CNN)"
    text = 'Max Records auditioned for the "Where the Wild Things Are" (out Friday) role.'
    assert fix(text, 'Where the Wild Things Are" (out') == '"Where the Wild Things Are"'


def test_candidates_of_a_choice_question():
    from qa_bot.verify import candidates

    assert candidates("Is Gov. Andrew M. Cuomo a Democrat or Republican?") == {"democrat", "republican"}
    assert candidates("did people have faith or doubt in the sanction?") == {"faith", "doubt"}
    assert candidates("What did he eat or drink?") == set()  # not a choice between named candidates


def test_the_candidate_a_choice_question_names_is_not_trimmed():
    from qa_bot.verify import candidates

    question = "Did the show attract more attention on social media or on air?"
    span = "social media following"
    assert span[slice(*trim_to_answer(span, question))] == "following"  # an open question: its words go
    assert span[slice(*trim_to_answer(span, question, candidates(question)))] == "social media following"
