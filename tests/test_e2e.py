"""End to end with the real default models over the seed article (slow: tens of seconds per answer)."""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.e2e

FACTS = [
    ("How many soldiers has Russia moved near Ukraine?", "100,000", "100,000 soldiers"),
    ("Who is the Kremlin spokesman?", "Peskov", "Kremlin spokesman Dmitry Peskov"),
    ("When will US and Russian officials hold talks in Geneva?", "Jan. 10", "talks in Geneva on Jan. 10"),
    ("Who did Antony Blinken speak to on Wednesday?", "Zelensky", "spoke to Ukrainian President Volodymyr Zelensky"),
    ("When did Russian troops invade Crimea?", "2014", "In 2014, Russian troops invaded"),
    ("Who requested the call?", "Russian officials", "requested by Russian officials"),
]


@pytest.mark.parametrize("question,expected,evidence", FACTS)
def test_factual_questions_are_answered_with_their_source(real_bot, question, expected, evidence):
    answer = real_bot.ask(question)
    assert answer.found, answer
    assert expected.lower() in answer.answer.lower()
    assert any(evidence in s.text for s in answer.sources), [s.text for s in answer.sources]
    article = real_bot.index.articles[answer.sources[0].article_id]
    for s in answer.sources:
        assert article.text[s.start:s.end] == s.text
        assert s.start <= s.highlight_start < s.highlight_end <= s.end


@pytest.mark.parametrize("question", ["What is the capital of France?", "Who won the 2018 FIFA World Cup?"])
def test_off_article_questions_are_abstained(real_bot, question):
    answer = real_bot.ask(question)
    assert not answer.found
    assert answer.sources == []
    assert "paris" not in answer.answer.lower() and "france" not in answer.answer.lower()


def test_follow_up_uses_the_conversation(real_bot):
    # as the chat server does once an article is added (the pronoun's referent must come from the chat)
    real_bot.answerer.read_ahead(real_bot.articles()[-1].id)
    first = real_bot.ask("Who is the Kremlin spokesman?")
    assert "Peskov" in first.answer
    follow = real_bot.ask("What is his first name?", history=[("Who is the Kremlin spokesman?", first.answer)])
    assert "peskov" in follow.standalone_question.lower()
    assert follow.found and "dmitry" in follow.answer.lower()


def test_streamed_answer_ends_with_the_final_answer(real_bot):
    items = list(real_bot.ask_stream("Who requested the call?"))
    pieces, final = items[:-1], items[-1]
    assert all(isinstance(p, str) for p in pieces) and pieces
    assert final.found and "russian officials" in final.answer.lower()


def test_short_summary_is_faithful_and_short(real_bot):
    summary = real_bot.summarize()
    assert 10 < summary.words <= 80
    for name in ("Biden", "Putin", "Ukraine"):
        assert name in summary.summary
    assert summary.unsupported == [], summary.unsupported
    again = real_bot.summarize()
    assert again.cached and again.summary == summary.summary


def test_cli_ask_json(real_bot):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "qa_bot", "--index", str(real_bot.config.index_dir), "ask",
         "How many soldiers has Russia moved near Ukraine?", "--json"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=600,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["found"] is True and "100,000" in data["answer"]
    assert {"article_id", "title", "text", "start", "end", "score"} <= set(data["sources"][0])
    assert "total_s" in data["timings"]
