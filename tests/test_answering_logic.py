"""The code-level rules around the generator: abstention, grounding, citations, follow-ups.

A scripted generator stands in for the model here so each rule is tested in isolation; the same
rules run with the real model in test_e2e.py.
"""
import pytest

from qa_bot.answering import NOT_FOUND_MESSAGE, Answer, Answerer, normalize_history
from qa_bot.followup import leans_on_history
from qa_bot.articles import make_article
from qa_bot.config import Config
from qa_bot.index import PassageIndex

from conftest import ScriptedGenerator


def indexed(tmp_path, minilm, *texts: str) -> PassageIndex:
    """A real index on disk holding the given articles."""
    index = PassageIndex(tmp_path, minilm, "all-minilm-l6-v2", minilm.dim)
    index.add_articles([make_article(text) for text in texts])
    return index


@pytest.fixture
def seeded_index(tmp_path, minilm, seed_text):
    return indexed(tmp_path, minilm, seed_text)


PARKS = ("Parks in bloom\n\nThe city's parks are greener than ever. Maria Lopez is the parks director who, since "
         "2019, has planted 40,000 trees across the city. Residents have welcomed the new shade in summer.")


def answerer(index, minilm, *replies):
    return Answerer(index, ScriptedGenerator(*replies), minilm, Config(index_dir=index.directory))


def test_off_topic_question_abstains_without_calling_the_model(seeded_index, minilm):
    qa = answerer(seeded_index, minilm)  # no scripted reply: calling the model would fail
    answer = qa("What is the capital of France?")
    assert not answer.found and answer.answer == NOT_FOUND_MESSAGE and answer.sources == []


def test_answer_not_in_sources_is_refused(seeded_index, minilm):
    # the reply has no supporting span; asked again to quote, the model still invents: abstain
    qa = answerer(seeded_index, minilm, "Paris, the French capital [1]", "Paris")
    answer = qa("Where did Biden and Putin meet in June?")
    assert not answer.found and len(qa.generator.prompts) == 2


def test_unsupported_reply_is_corrected_by_quoting_the_sentence_about_the_question(seeded_index, minilm):
    qa = answerer(seeded_index, minilm, "Biden requested the call. [1]", "Russian officials")
    answer = qa("Who requested the call?")
    assert answer.found and answer.answer == "Russian officials"
    quote = qa.generator.prompts[1][-1]["content"]
    assert "requested by Russian officials" in quote and quote.endswith("Question: Who requested the call?")
    source = answer.sources[0]
    text = seeded_index.articles[source.article_id].text
    assert text[source.highlight_start:source.highlight_end] == "Russian officials"


def test_paraphrase_is_mapped_to_the_span_it_rests_on(seeded_index, minilm):
    qa = answerer(seeded_index, minilm, "The call was requested by the Russian officials. [1]")
    answer = qa("Who requested the call?")
    assert answer.answer == "Russian officials" and len(qa.generator.prompts) == 1


def test_number_formats_are_matched_and_the_article_wording_shown(seeded_index, minilm):
    qa = answerer(seeded_index, minilm, "50 minutes")
    qa.read_ahead(next(iter(seeded_index.articles)))
    answer = qa("How long was the phone call?")  # "call" is not in the sentence: the model is asked anyway
    assert answer.found and answer.answer == "50-minute"


def test_answer_of_the_wrong_kind_is_not_shown(seeded_index, minilm):
    qa = answerer(seeded_index, minilm, "Dmitry Peskov", "NOT FOUND")
    answer = qa("How many soldiers has Russia moved near Ukraine?")
    assert not answer.found


def test_model_saying_not_found_abstains(seeded_index, minilm):
    # one sentence holds the question's words: the model is asked once more, to quote it, and finds nothing
    qa = answerer(seeded_index, minilm, "NOT FOUND", "NOT FOUND")
    items = list(qa.stream("How many soldiers has Russia moved near Ukraine?"))
    assert items == [items[-1]] and isinstance(items[-1], Answer) and not items[-1].found
    assert len(qa.generator.prompts) == 2 and "Sentence:" in qa.generator.prompts[1][-1]["content"]


def test_an_answer_the_model_missed_is_quoted_from_the_sentence_holding_the_question(seeded_index, minilm):
    qa = answerer(seeded_index, minilm, "NOT FOUND", "an estimated 100,000 soldiers")
    answer = qa("How many soldiers has Russia moved near Ukraine?")
    assert answer.found and answer.answer == "estimated 100,000"


def test_the_second_look_shows_worked_examples_and_takes_yes_or_no(seeded_index, minilm):
    """A yes/no question the model found no answer to: asked again from the sentence about it, with worked
    examples (one of them a yes/no question), "Yes" stands with that sentence as its source."""
    qa = answerer(seeded_index, minilm, "NOT FOUND", "Yes")
    answer = qa("Have the Russians moved soldiers to Ukraine?")
    assert answer.found and answer.answer == "Yes"
    assert "100,000 soldiers" in answer.sources[0].text[answer.sources[0].highlight_start - answer.sources[0].start:]
    second = qa.generator.prompts[1]
    assert len(second) > 2 and any(m["content"] == "No" for m in second if m["role"] == "assistant")
    assert "100,000 soldiers" in second[-1]["content"]


def test_no_second_look_when_no_sentence_holds_most_of_the_question(seeded_index, minilm):
    qa = answerer(seeded_index, minilm, "NOT FOUND")  # a second call would fail: no reply scripted
    question = "What did the Ukrainian parliament vote on last spring?"
    assert not qa(question).found and len(qa.generator.prompts) == 1


def test_grounded_answer_has_cited_source_and_highlight(seeded_index, minilm):
    qa = answerer(seeded_index, minilm, "an estimated 100,000 soldiers [1]")
    answer = qa("How many soldiers has Russia moved near Ukraine?")
    assert answer.found and answer.answer == "estimated 100,000"
    source = answer.sources[0]
    text = seeded_index.articles[source.article_id].text
    assert text[source.highlight_start:source.highlight_end] == "estimated 100,000"
    assert "[1]" not in answer.answer


def test_prompt_is_compact_and_numbered(seeded_index, minilm):
    # with reading whole articles off (a one-article library otherwise reads its short article whole)
    qa = Answerer(seeded_index, ScriptedGenerator("Dmitry Peskov [1]"), minilm,
                  Config(index_dir=seeded_index.directory, read_ahead_tokens=0))
    qa("Who is the Kremlin spokesman?")
    user = qa.generator.prompts[0][-1]["content"]
    assert user.startswith("Excerpts:\n[1] ") and user.endswith("Question: Who is the Kremlin spokesman?")
    assert "Dmitry Peskov" in user
    assert len(user) < 2500


def test_follow_up_is_rewritten_before_retrieval(seeded_index, minilm):
    qa = answerer(seeded_index, minilm, "What is the first name of Dmitry Peskov?", "Dmitry [1]")
    answer = qa("What is his first name?", history=[("Who is the Kremlin spokesman?", "Dmitry Peskov")])
    assert answer.standalone_question == "What is the first name of Dmitry Peskov?"
    assert answer.found and answer.answer == "Dmitry"
    assert "Dmitry Peskov" in qa.generator.prompts[1][-1]["content"]


def test_rewrite_that_answers_instead_falls_back_to_context(seeded_index, minilm):
    qa = answerer(seeded_index, minilm, "Dmitry.", "Dmitry [1]")
    answer = qa("What is his first name?", history=[("Who is the Kremlin spokesman?", "Dmitry Peskov")])
    assert "Who is the Kremlin spokesman?" in answer.standalone_question
    assert answer.found


def test_streamed_text_holds_back_not_found(seeded_index, minilm):
    qa = answerer(seeded_index, minilm, "NOT FOUND in the excerpts", "NOT FOUND")
    pieces = [i for i in qa.stream("How many soldiers has Russia moved near Ukraine?") if isinstance(i, str)]
    assert pieces == []


def test_history_formats():
    msgs = [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"},
            {"role": "user", "content": [{"type": "text", "text": "Q2"}]}, {"role": "assistant", "content": "A2"}]
    assert normalize_history(msgs) == [("Q1", "A1"), ("Q2", "A2")]
    assert normalize_history([("Q", "A")]) == [("Q", "A")]


def test_follow_ups_are_decided_by_retrieval_evidence(seeded_index, seed_text):
    passages = [p.text for p in seeded_index.passages_of(next(iter(seeded_index.articles)))]
    for question in ("On which day?", "And the other one?", "What about Paris?", "What did he say?",
                     "What is his first name?", "In what country?"):
        assert leans_on_history(question, passages), question
    for question in ("Who requested the call?", "How many soldiers has Russia moved near Ukraine?",
                     "Who did Antony Blinken speak to?", "Who is the Kremlin spokesman?"):
        assert not leans_on_history(question, passages), question


def test_elliptical_follow_up_is_rewritten(seeded_index, minilm):
    qa = answerer(seeded_index, minilm, "On which day did Antony Blinken speak to Volodymyr Zelensky?", "Wednesday [1]")
    answer = qa("On which day?", history=[("Who did Antony Blinken speak to?", "Ukrainian President Volodymyr Zelensky")])
    assert answer.standalone_question.startswith("On which day did Antony Blinken")
    assert answer.found and answer.answer == "Wednesday"


def test_standalone_question_is_not_rewritten(seeded_index, minilm):
    qa = answerer(seeded_index, minilm, "Russian officials [1]")
    answer = qa("Who requested the call?", history=[("Who is the Kremlin spokesman?", "Dmitry Peskov")])
    assert answer.standalone_question == "Who requested the call?" and len(qa.generator.prompts) == 1


def test_article_read_ahead_is_read_whole_from_its_kept_prefix(seeded_index, minilm, seed_text):
    qa = answerer(seeded_index, minilm, "an estimated 100,000 soldiers [2]")
    article_id = next(iter(seeded_index.articles))
    assert not qa.is_read_ahead(article_id)
    assert qa.read_ahead(article_id) and qa.is_read_ahead(article_id)
    answer = qa("How many soldiers has Russia moved near Ukraine?")
    assert answer.found and answer.context == "article" and answer.answer == "estimated 100,000"
    prompt = qa.generator.prompts[-1][-1]["content"]
    head = qa.generator.cached[-1]
    assert head and prompt.startswith(head) and prompt[len(head):].startswith("Question:")
    # every sentence of the article once, in order, although neighbouring passages overlap
    text = seeded_index.articles[article_id].text
    last = text.strip().split(". ")[-1][:40]
    assert prompt.count(last) == 1
    assert prompt.count("100,000") == text.count("100,000")
    source = answer.sources[0]
    assert "100,000" in source.text and text[source.highlight_start:source.highlight_end] == answer.answer


def test_long_articles_are_not_read_ahead(seeded_index, minilm):
    qa = Answerer(seeded_index, ScriptedGenerator("Peskov [1]"), minilm,
                  Config(index_dir=seeded_index.directory, read_ahead_tokens=100))
    article_id = next(iter(seeded_index.articles))
    assert qa.read_ahead(article_id) and not qa.generator.kept
    answer = qa("Who is the Kremlin spokesman?")
    assert answer.context == "excerpts" and qa.generator.cached[-1] is None


def test_refused_whole_article_reply_falls_back_to_excerpts(seeded_index, minilm):
    qa = answerer(seeded_index, minilm, "10/1/2021", "an estimated 100,000 soldiers [1]")
    article_id = next(iter(seeded_index.articles))
    qa.read_ahead(article_id)
    pieces = list(qa.stream("How many soldiers has Russia moved near Ukraine?"))
    answer = pieces[-1]
    assert answer.found and answer.context == "excerpts" and answer.answer == "estimated 100,000"
    assert qa.generator.cached[0] and qa.generator.cached[1] is None
    assert "10/1/2021" not in "".join(p for p in pieces if isinstance(p, str))  # the refused reply never shows


def test_a_whole_clause_for_a_factoid_question_is_shortened_by_quoting(seeded_index, minilm):
    qa = answerer(seeded_index, minilm,
                  "US Secretary of State Antony Blinken spoke to Ukrainian President Volodymyr Zelensky on Wednesday [1]",
                  "Volodymyr Zelensky")
    answer = qa("Who did Antony Blinken speak to?")
    assert answer.found and answer.answer == "Volodymyr Zelensky" and len(qa.generator.prompts) == 2
    assert "Question: Who did Antony Blinken speak to?" in qa.generator.prompts[1][-1]["content"]
    assert len(qa.generator.prompts[1]) == 2  # no worked examples: they make a shortening too short


def test_a_shortening_that_fails_its_checks_keeps_the_first_answer(seeded_index, minilm):
    reply = "Antony Blinken spoke to Ukrainian President Volodymyr Zelensky on Wednesday [1]"
    qa = answerer(seeded_index, minilm, reply, "Boris Johnson")
    answer = qa("Who did Antony Blinken speak to?")
    assert answer.found and "Volodymyr Zelensky" in answer.answer and len(qa.generator.prompts) == 2


def test_a_shortening_that_only_repeats_the_question_is_not_taken(seeded_index, minilm):
    reply = "Kremlin spokesman Dmitry Peskov said it was unlikely that Mr Biden and Mr Putin would not participate [1]"
    qa = answerer(seeded_index, minilm, reply, "Dmitry Peskov")
    answer = qa("Who is Dmitry Peskov?")
    assert answer.found and answer.answer != "Dmitry Peskov" and len(qa.generator.prompts) == 2


def test_who_is_answers_stop_before_the_relative_clause(tmp_path, minilm):
    index = indexed(tmp_path, minilm, PARKS)
    qa = answerer(index, minilm, "the parks director who, since 2019, has planted 40,000 trees across the city [1]")
    answer = qa("Who is Maria Lopez?")
    assert answer.found and answer.answer == "parks director"


def test_weak_evidence_among_several_articles_abstains_without_the_model(tmp_path, minilm, seed_text):
    from test_summarizing import SKI, STABBING

    index = indexed(tmp_path, minilm, seed_text, SKI, STABBING)
    question = "Which basketball team won the championship in 2019?"
    qa = answerer(index, minilm)  # no scripted reply: calling the model would fail
    assert not qa(question).found and qa.generator.prompts == []
    # without the weak-evidence gate the model is asked (and finds nothing)
    loose = Answerer(index, ScriptedGenerator("NOT FOUND"), minilm, Config(index_dir=index.directory, weak_dense=0.0))
    assert not loose(question).found and len(loose.generator.prompts) == 1


def test_a_clause_answering_a_what_question_is_asked_again_for_the_phrase(tmp_path, minilm):
    index = indexed(tmp_path, minilm, PARKS)
    qa = answerer(index, minilm, "Maria Lopez is the parks director who, since 2019, has planted 40,000 trees "
                                 "across the city [1]", "40,000 trees")
    answer = qa("What did the parks director plant across the city?")
    assert answer.found and answer.answer == "40,000 trees" and len(qa.generator.prompts) == 2


def test_a_verbatim_reply_from_the_only_article_stands_when_no_sentence_holds_the_question_words(tmp_path, minilm,
                                                                                               seed_text):
    from test_summarizing import SKI

    parks = make_article(
        "Parks in bloom\n\nThe city's parks are greener than ever. Maria Lopez is the parks director who, since "
        "2019, has planted 40,000 trees across the city. Residents have welcomed the new shade in summer.")
    question = "What did locals appreciate during the hot months?"  # no sentence has its words
    index = PassageIndex(tmp_path / "one", minilm, "all-minilm-l6-v2", minilm.dim)
    index.add_articles([parks])
    answer = answerer(index, minilm, "the new shade [1]")(question)
    assert answer.found and answer.answer == "new shade"
    # among several articles the same reply has nothing to say it is about the question: refused
    many = PassageIndex(tmp_path / "many", minilm, "all-minilm-l6-v2", minilm.dim)
    many.add_articles([parks, make_article(seed_text), make_article(SKI)])
    qa = Answerer(many, ScriptedGenerator("the new shade [1]", "the new shade"), minilm,
                  Config(index_dir=many.directory, weak_dense=0.0))
    assert not qa(question).found


def test_a_leading_clause_does_not_set_the_kind_of_answer_wanted():
    from qa_bot.verify import type_matches

    assert type_matches("When cells divide, what happens to their telomeres?", "they get shorter") is None
    assert type_matches("If he wins, how many seats will he hold?", "most of them") is False
    assert type_matches("How long ago does the jail date back to?", "the 1850s") is True
    assert type_matches("How long ago does the jail date back to?", "the old wing") is False
    # a leading clause without a comma before a yes/no question; but "When was ...?" asks when
    assert type_matches("When Ms. Whitehead left was she going to stay on?", "she will consult") is None
    assert type_matches("When was she born?", "in Ohio") is False
    assert type_matches("When did he know it was there?", "in the basement") is False


def test_a_yes_no_question_after_a_leading_clause_takes_yes_or_no(seeded_index, minilm):
    qa = answerer(seeded_index, minilm, "Yes")
    answer = qa("When Mr Biden and Mr Putin spoke on Thursday was it about Ukraine?")
    assert answer.found and answer.answer == "Yes" and len(qa.generator.prompts) == 1


def test_an_answer_of_only_the_question_words_is_asked_again(seeded_index, minilm):
    qa = answerer(seeded_index, minilm, "Antony Blinken [1]", "Volodymyr Zelensky")
    answer = qa("Who did Antony Blinken speak to?")
    assert answer.found and answer.answer == "Volodymyr Zelensky" and len(qa.generator.prompts) == 2


def test_a_who_answer_names_the_person_not_a_possessive(seeded_index, minilm):
    qa = answerer(seeded_index, minilm, "Mr Putin’s [1]")
    answer = qa("Who has a foreign policy official that spoke about the sanctions threat?")
    assert answer.found and answer.answer == "Mr Putin"
    source = answer.sources[0]
    assert source.text[source.highlight_start - source.start:source.highlight_end - source.start] == "Mr Putin"


def test_echoes_spares_a_choice_the_question_offers():
    from qa_bot.verify import echoes

    assert echoes("emotions", "What emotions was he?")
    assert echoes("Saudi Arabia", "What is the United States supporting Saudi Arabia in?")
    assert not echoes("women", "Is the channel more popular among men or women?")
    assert not echoes("Baylor", "Who won the Iowa State versus Baylor match?")
    assert not echoes("Dmitry", "What is the first name of Dmitry Peskov?")
    assert not echoes("three", "How many 3-point attempts did they miss?")
    assert not echoes("Russian officials", "Who requested the call?")


def test_a_number_the_model_will_not_quote_is_taken_from_the_sentence_about_the_question(tmp_path, minilm):
    index = indexed(tmp_path, minilm,
        "School survey\n\nThe survey asked students about their habits. Fewer than one in 50 students reported "
        "smoking cigarettes. Most said they exercise every week.")
    qa = answerer(index, minilm, "4 [1]", "NOT FOUND")  # an unsupported number, then no quote
    answer = qa("How many students said they smoked cigarettes?")
    assert answer.found and answer.answer == "one in 50" and len(qa.generator.prompts) == 2


def test_the_word_after_how_does_not_keep_a_hyphenated_answer_short(tmp_path, minilm):
    index = indexed(tmp_path, minilm,
        "Family moves\n\nThe Garcia family moved to Denver in May. Their 5-year-old daughter started school "
        "there this fall. The parents both work at the city hospital.")
    answer = answerer(index, minilm, "5-year [1]")("How old is the Garcia daughter?")
    assert answer.found and answer.answer == "5-year-old"


def test_what_day_wants_a_day_and_what_time_a_time_of_day():
    """"What day will the troupe perform?" is not answered "2 p.m", nor "At what time ...?" "Saturday"."""
    from qa_bot.verify import type_matches, typed_phrase

    day, time = "What day will the troupe perform?", "At what time will the troupe perform?"
    assert type_matches(day, "2 p.m") is False and type_matches(day, "36,000 tons") is False
    assert all(type_matches(day, a) for a in ("Saturday", "September 11", "the 4th", "Election Day", "Fridays"))
    assert type_matches(time, "Saturday") is False and type_matches(time, "2015") is False
    assert all(type_matches(time, a) for a in ("9:30", "9 a.m", "noon", "2:12:35"))
    assert type_matches("What time of year is it held?", "spring") is True  # a date's kind
    assert type_matches("Over what time frame were they built?", "10 years") is True
    assert type_matches("On which day?", "Wednesday") and type_matches("On which day?", "at 2 p.m") is False
    sentence = "The Golden Dragon Acrobats will perform on Saturday at 2 p.m. in the park."
    lo, hi = typed_phrase(day, sentence)
    assert sentence[lo:hi] == "Saturday"
    lo, hi = typed_phrase(time, sentence)
    assert sentence[lo:hi] == "2 p.m"


def test_a_day_is_answered_without_its_possessive(tmp_path, minilm):
    """"What day was the vote?" -> "Tuesday", not "Tuesday’s" (the vote is Tuesday's, the day is Tuesday)."""
    index = indexed(tmp_path, minilm,
        "Council vote\n\nThe city council met in the old town hall. Tuesday’s vote on the new budget was close, "
        "with seven members in favour. The mayor welcomed the result.")
    answer = answerer(index, minilm, "Tuesday’s [1]")("What day was the vote on the budget?")
    assert answer.found and answer.answer == "Tuesday"
    answer = answerer(index, minilm, "Tuesday’s vote [1]")("What was close?")
    assert answer.found and answer.answer.startswith("Tuesday’s")  # not a question about the day


def test_how_long_is_answered_by_a_starting_date_a_span_of_years_or_a_length():
    from qa_bot.verify import since_start, type_matches, typed_phrase

    asked = "How long has Dr. Sexton lived in the faculty apartments?"
    assert type_matches(asked, "since the late 1980s") and type_matches(asked, "until March")
    assert type_matches(asked, "from 1807 to 1815") and type_matches("How long is the 5K?", "3.14-mile")
    assert type_matches(asked, "1980s") is False and type_matches(asked, "since then") is False
    assert type_matches("How long was she expecting?", "22-year-old") is False  # an age
    assert type_matches("How long was she expecting?", "nine months") is True
    sentence = "She has lived there since the late 1980s, the university said."
    at = sentence.index("1980s")
    assert sentence[since_start(sentence, at):at] == "since the late "
    assert since_start("It was built in 1980.", 15) == 15
    lo, hi = typed_phrase(asked, sentence)
    assert sentence[lo:hi] == "since the late 1980s"


def test_a_date_given_for_how_long_keeps_its_since(tmp_path, minilm):
    """The model's "1980s" answers "How long has she lived there?" as the article words it."""
    text = ("Faculty housing dispute at the university\n\n"
            "Dr. Ellen Sexton has lived in the faculty apartments on Claremont Avenue since the late 1980s. "
            "The university wants the apartment back for a new dean, a spokesman said on Tuesday. "
            "Her neighbours signed a letter of support, and the tenants association asked the city to step in.")
    index = indexed(tmp_path, minilm, text)
    answer = answerer(index, minilm, "1980s [1]")("How long has Dr. Sexton lived in the faculty apartments?")
    assert answer.found and answer.answer == "since the late 1980s"


def test_a_leading_clause_does_not_make_a_what_question_a_factoid_to_shorten(seeded_index, minilm):
    """"When X, what ...?" asks what: a seven-word reply is not asked again for a shorter one."""
    qa = answerer(seeded_index, minilm, "lead to a total severance of relations [1]")
    answer = qa("When Mr Biden threatened sanctions, what did Mr Putin warn such a move could do?")
    assert answer.found and answer.answer == "lead to a total severance of relations"
    assert len(qa.generator.prompts) == 1


COURT = ("War crimes in peacekeeping\n\nThe United Nations does not have the legal authority to prosecute or punish "
         "a country's soldiers, officials said on Monday. The show's social media following has been great, but "
         "its ratings on air have been soft. Peacekeepers wore a blue helmet (issued in 1994, the officials said) "
         "on every patrol.")


def test_yes_is_not_shown_beside_a_sentence_that_denies_it(tmp_path, minilm):
    """The sentence shown decides: "Yes" beside "does not have the legal authority to prosecute" is "No"."""
    qa = answerer(indexed(tmp_path, minilm, COURT), minilm, "Yes [1]")
    answer = qa("Does the United Nations have the authority to prosecute or punish a country's soldiers?")
    assert answer.found and answer.answer == "No"
    assert "does not have" in answer.sources[0].text


def test_a_choice_question_is_answered_by_the_candidate_it_names(tmp_path, minilm):
    qa = answerer(indexed(tmp_path, minilm, COURT), minilm, "social media following [1]")
    answer = qa("Did the show attract more attention on social media or on air?")
    assert answer.found and answer.answer.startswith("social media")  # not "following": the question's words


def test_an_answer_never_shows_half_a_bracket(tmp_path, minilm):
    qa = answerer(indexed(tmp_path, minilm, COURT), minilm, "a blue helmet (issued in 1994 [1]")
    answer = qa("What did peacekeepers wear on patrol?")
    assert answer.found and answer.answer == "blue helmet"
