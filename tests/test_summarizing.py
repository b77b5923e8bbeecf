from qa_bot.articles import make_article
from qa_bot.summarizing import Summarizer, limit_words

from conftest import ScriptedGenerator


def test_limit_words_keeps_whole_sentences():
    text = "One two three four. Five six seven eight. Nine ten eleven twelve."
    assert limit_words(text, 9) == "One two three four. Five six seven eight."
    assert limit_words(text, 100) == text
    assert limit_words("- a b c\n- d e f\n- g h i", 8, bullets=True) == "- a b c\n- d e f"


def test_summary_is_trimmed_checked_and_cached(tmp_path, seed_text):
    article = make_article(seed_text)
    reply = ("Summary: Joe Biden and Vladimir Putin spoke for 50 minutes about Ukraine. "
             "They met in Helsinki with 300,000 troops. " + "Extra words here. " * 30)
    gen = ScriptedGenerator(reply)
    summarizer = Summarizer(gen, tmp_path)
    first = summarizer(article)
    assert first.summary.startswith("Joe Biden") and first.words <= 80
    assert "Helsinki" in first.unsupported and "300,000" in first.unsupported
    assert "Biden" not in first.unsupported
    again = Summarizer(gen, tmp_path)(article)  # no scripted reply left: must come from the cache
    assert again.cached and again.summary == first.summary


def test_long_article_is_summarised_map_reduce(tmp_path):
    text = "Title of a long report\n\n" + " ".join(f"Fact number {i} was reported by the agency." for i in range(400))
    article = make_article(text)
    summarizer = Summarizer(ScriptedGenerator(*["Notes on a section." for _ in range(10)]), tmp_path, context_tokens=800)
    sections = summarizer.sections(article.text)
    assert len(sections) >= 3
    gen = ScriptedGenerator(*(["The agency reported facts."] * (len(sections) + 1)))
    summary = Summarizer(gen, tmp_path, context_tokens=800)(article)
    assert len(gen.prompts) == len(sections) + 1
    assert summary.summary == "The agency reported facts."


def test_bullets_are_normalised(tmp_path, seed_text):
    gen = ScriptedGenerator("Here is a summary:\n* Biden and Putin talked.\n2. Putin warned Biden.")
    summary = Summarizer(gen, tmp_path)(make_article(seed_text), length="bullets")
    assert summary.summary == "- Biden and Putin talked.\n- Putin warned Biden."


def test_number_split_by_the_model_is_rejoined_and_not_flagged(tmp_path):
    article = make_article("Ski resorts busy\n\nSince late November, Scotland's five mountain resorts have attracted "
                           "373,782 customers, the industry body said on Monday.")
    summary = Summarizer(ScriptedGenerator("Scotland's resorts attracted 373, 782 customers."), tmp_path)(article)
    assert summary.summary == "Scotland's resorts attracted 373,782 customers."
    assert summary.unsupported == []
