"""The seed cases of issue 10 with the real default model: extracted, verified answers; faithful summaries."""
import pytest

from qa_bot.articles import make_article
from qa_bot.summarizing import TOO_SHORT_NOTE, disagreements

pytestmark = pytest.mark.e2e


def _source_text(bot, source):
    return bot.index.articles[source.article_id].text[source.highlight_start:source.highlight_end]


def test_who_requested_the_call(real_bot):
    answer = real_bot.ask("Who requested the call?")
    assert answer.found and "russian officials" in answer.answer.lower(), answer.answer
    assert _source_text(real_bot, answer.sources[0]) == answer.answer


def test_how_long_was_the_phone_call(real_bot):
    answer = real_bot.ask("How long was the phone call?")
    assert answer.found and "50" in answer.answer, answer.answer


def test_elliptical_follow_up_on_which_day(real_bot):
    first = real_bot.ask("Who did Antony Blinken speak to?")
    assert first.found and "zelensky" in first.answer.lower(), first.answer
    follow = real_bot.ask("On which day?", history=[("Who did Antony Blinken speak to?", first.answer)])
    assert follow.found and "wednesday" in follow.answer.lower(), (follow.standalone_question, follow.answer)


@pytest.mark.parametrize("length", ["short", "medium"])
def test_summary_says_only_what_the_article_says(real_bot, length):
    summary = real_bot.summarize(length=length)
    article = real_bot.articles()[-1]
    assert summary.sentences and summary.unsupported == [], summary.unsupported
    for sentence in summary.sentences:
        assert sentence.sources, sentence
        source = " ".join(article.text[s.start:s.end] for s in sentence.sources)
        assert disagreements(sentence.text, source) == [], (sentence.text, source)


def test_too_short_article_is_not_summarised_but_returned(real_bot):
    ids = real_bot.ingest_text("Startup unveils new chip for AI phones.")
    try:
        summary = real_bot.summarize(ids)
        assert summary.note == TOO_SHORT_NOTE and summary.summary == "Startup unveils new chip for AI phones."
    finally:
        real_bot.remove(ids)
