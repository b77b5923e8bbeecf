"""Background generation (summaries written ahead) with the real model: same text, gives way to users."""
import threading
import time

import pytest

from qa_bot.generator import Preempted

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
    bot.summarize_ahead()
    deadline = time.time() + 600
    while bot.summarizer.cached(article, "short") is None and time.time() < deadline:
        time.sleep(1)
    assert bot.summarizer.cached(article, "short") is not None
    started = time.perf_counter()
    summary = bot.summarize()
    assert summary.cached and time.perf_counter() - started < 5
