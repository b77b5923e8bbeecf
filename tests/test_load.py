"""Load in CI: 8 concurrent chat sessions x 3 questions through gradio_client against an in-process server
with the real default models (``bench/load.py`` runs 50 against ``app.py``): every session gets its own
correct answers, its transcript holds only its own conversation, and nothing errors or is turned away."""
from __future__ import annotations

import os

import pytest

from bench.load import run_load
from ui_helpers import running_ui

pytestmark = pytest.mark.e2e

SESSIONS = 8
QUESTIONS = 3


@pytest.fixture(scope="module")
def load_bot(real_bot, tmp_path_factory):
    """A fresh index of seeds/ sharing the real models (one copy in memory)."""
    from qa_bot import Bot

    bot = Bot(index_dir=tmp_path_factory.mktemp("load-index"), cache_dir=os.environ.get("QA_BOT_CACHE_DIR") or None,
              models_from=real_bot)
    bot.ensure_seeded()
    return bot


@pytest.mark.timeout(3600)  # 24 answers one after the other on 2 shared cores
def test_concurrent_sessions_get_their_own_correct_answers(load_bot):
    with running_ui(load_bot, concurrency=4, max_queue=64) as url:
        run = run_load(url, SESSIONS, QUESTIONS, timeout=1800)
    summary = run.summary()
    print(f"{SESSIONS} sessions x {QUESTIONS}: {summary['answers_per_min']:.1f} answers/min, latency p50 "
          f"{summary['latency_s']['p50']:.1f} s, p95 {summary['latency_s']['p95']:.1f} s, "
          f"max {summary['latency_s']['max']:.1f} s")
    problems = {s.session: (s.error, s.foreign, [(t.question, t.answer, t.error) for t in s.turns])
                for s in run.sessions if not s.ok}
    assert not problems, problems
    assert summary["answers"] == summary["correct"] == SESSIONS * QUESTIONS
    assert summary["sessions_with_foreign_history"] == 0 and summary["told_to_retry"] == 0
    assert len({tuple(s.questions) for s in run.sessions}) == SESSIONS  # every conversation differs
