import pytest

from qa_bot.articles import IngestError, article_id, make_article, strip_boilerplate


def test_seed_boilerplate_is_removed_and_title_kept(seed_text):
    article = make_article(seed_text)
    assert article.title == "Biden and Putin hold talks as tensions mount over Ukraine crisis"
    assert "Near you" not in article.text
    assert "Leave a Comment" not in article.text
    assert article.text.endswith("tries to contain the current crisis.")


def test_id_is_stable_and_ignores_whitespace(seed_text):
    a = make_article(seed_text)
    b = make_article(seed_text.replace("\n", "\r\n") + "\n\n   ")
    assert a.id == b.id == article_id(a.text)
    assert make_article(seed_text + " Extra sentence here.").id != a.id


@pytest.mark.parametrize("bad", ["", "   \n\t ", "hi"])
def test_empty_or_tiny_text_is_refused(bad):
    with pytest.raises(IngestError):
        make_article(bad)


def test_binary_looking_text_is_refused():
    with pytest.raises(IngestError, match="binary|text"):
        make_article("\x00\x01\x02\x03\ufffd\ufffd" * 200)


def test_size_limit_is_named():
    with pytest.raises(IngestError, match="limit of 100"):
        make_article("word " * 100, max_chars=100)


def test_strip_boilerplate_only_at_the_edges():
    text = "Title\n\nBody says: read more: later.\n\nShare this article\nLeave a Comment"
    assert strip_boilerplate(text) == "Title\n\nBody says: read more: later."


def test_mojibake_is_repaired_and_real_accents_are_kept():
    from qa_bot.articles import normalize_text

    text = "Yorkshire would get a Â£24bn budget, he said. â€œWe donâ€™t agree,â€\x9d said the CafÃ© owner."
    assert normalize_text(text) == "Yorkshire would get a £24bn budget, he said. “We don’t agree,” said the Café owner."
    assert normalize_text("SÃO PAULO: Ã la carte, naïve, 100°C") == "SÃO PAULO: Ã la carte, naïve, 100°C"


def test_trailing_calls_to_read_on_are_removed_generally():
    body = "Title\n\nThe council approved the budget on Monday."
    for trailer in ("You can find more stories from where you live at Near you.", "Read more news like this",
                    "Discover the latest headlines from our region", "Check out more stories in our app.",
                    "Media playback is unsupported on your device"):
        assert strip_boilerplate(f"{body}\n\n{trailer}\n\nLeave a Comment") == body
    # a long final sentence of the news itself is kept
    news = f"{body}\n\nFind more about the budget in the full report, the mayor said, adding that she expects a vote by Friday and a new plan."
    assert strip_boilerplate(news) == news
    assert strip_boilerplate("Media playback is unsupported on your device\n" + body) == body
