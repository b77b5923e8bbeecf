"""Background generation (summaries written ahead) with the real model: same text, gives way to users."""
import threading
import time

import pytest

from qa_bot.engines import Preempted

pytestmark = pytest.mark.e2e

MESSAGES = [{"role": "system", "content": "You summarise news faithfully."},
            {"role": "user", "content": "Article:\nThe city library on Elm Street reopened on Monday after a "
                                        "flood closed it for a month. Repairs cost 2 million dollars.\n\n"
                                        "Summarise it in one sentence."}]


def test_background_generation_gives_the_same_text(real_bot):
    generator = real_bot.summary_generator
    assert generator(MESSAGES, 12, background=True) == generator(MESSAGES, 12)


def test_background_generation_gives_way_to_a_user(real_bot):
    generator = real_bot.summary_generator
    outcome = {}

    def background():
        try:
            generator(MESSAGES, 200, background=True)
            outcome["background"] = "finished"
        except Preempted:
            outcome["background"] = "preempted"

    thread = threading.Thread(target=background)
    thread.start()
    time.sleep(1.5)
    reply = generator([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello."}], 4)
    thread.join()
    assert reply.strip()
    assert outcome["background"] == "preempted"


def test_summaries_ahead_fill_the_cache(real_bot, tmp_path):
    from qa_bot import Bot

    bot = Bot(index_dir=tmp_path / "index", cache_dir=real_bot.config.cache_dir,
              summary_cache_dir=str(tmp_path / "summaries"), models_from=real_bot)
    bot.ensure_seeded()
    article = bot.articles()[-1]
    assert bot.summarizer.cached(article, "short") is None
    bot.work_ahead()
    deadline = time.time() + 600
    while bot.summarizer.cached(article, "short") is None and time.time() < deadline:
        time.sleep(1)
    assert bot.summarizer.cached(article, "short") is not None
    assert bot.summarize().cached


def test_articles_read_ahead_are_answered_from_in_full(real_bot, tmp_path):
    from qa_bot import Bot

    bot = Bot(index_dir=tmp_path / "index", cache_dir=real_bot.config.cache_dir, summarize_ahead=False,
              models_from=real_bot)
    bot.ensure_seeded()
    article = bot.articles()[-1]
    bot.answerer.generator._kept.clear()  # other tests may have read the seed article already
    question = "How many soldiers has Russia moved near Ukraine?"
    excerpts = bot.ask(question)
    assert "100,000" in excerpts.answer  # a sole short article may be read whole at once (and kept)
    bot.work_ahead()
    deadline = time.time() + 600
    while not bot.answerer.is_read_ahead(article.id) and time.time() < deadline:
        time.sleep(1)
    assert bot.answerer.is_read_ahead(article.id)
    contexts = []
    for question, expected in [(question, "100,000"), ("Who is the Kremlin spokesman?", "Peskov"),
                               ("When will US and Russian officials hold talks in Geneva?", "Jan. 10")]:
        answer = bot.ask(question)  # a whole-article reply the checks refuse falls back to excerpts
        assert answer.found and expected in answer.answer, answer
        source = answer.sources[0]
        assert source.article_id == article.id
        assert expected in article.text[source.start:source.end]
        contexts.append(answer.context)
    assert contexts[0] == "article" and contexts.count("article") >= 2, contexts
    assert not bot.ask("What did the article say about the price of wheat in Argentina?").found
