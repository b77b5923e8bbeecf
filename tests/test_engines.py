"""The real engines on the packaged weights: llama.cpp as shipped writes what float32 transformers
writes; kept prefixes change nothing but speed; a reply does not depend on what was asked before; Stop
frees the engine; two slots write at once; an
OpenAI-compatible server (llama.cpp's own, started here on 127.0.0.1) serves as the engine by URL.

The small packaged model (Qwen2.5-Coder-0.5B) keeps these quick; tests/test_e2e.py uses the default."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from qa_bot.config import Config
from qa_bot.engines import make_engine
from qa_bot.engines.base import Control, controlled
from qa_bot.model_store import gguf_path

pytestmark = pytest.mark.e2e

SMALL = "qwen2.5-coder-0.5b"
ARTICLE = ("The city library on Elm Street reopened on Monday after a flood closed it for a month. "
           "Repairs cost 2 million dollars, the mayor, Ana Ruiz, said.")
QUESTION = [{"role": "system", "content": "You answer questions about the article in a few words."},
            {"role": "user", "content": f"Article:\n{ARTICLE}\n\nQuestion: Who is the mayor?"}]
LONG = [{"role": "user", "content": "Count from 1 to 500, one number per line."}]


def cache_dir() -> Path:
    return Path(os.environ.get("QA_BOT_CACHE_DIR") or Config().cache_dir)


@pytest.fixture(scope="module")
def small():
    engine = make_engine(SMALL, Config(cache_dir=cache_dir()))
    yield engine
    engine.close()


def wait_idle(engine, timeout: float) -> float:
    started = time.monotonic()
    while engine.idle_s <= 0:
        assert time.monotonic() - started < timeout, "the engine stayed busy"
        time.sleep(0.02)
    return time.monotonic() - started


def test_llama_cpp_writes_what_float32_transformers_writes(small):
    reference = make_engine(SMALL, Config(cache_dir=cache_dir(), engine="transformers"))
    try:
        for messages in (QUESTION, [{"role": "user", "content": "Name three colours, comma-separated."}]):
            assert small(messages, 24) == reference(messages, 24)
    finally:
        reference.close()


def test_kept_prefix_gives_the_same_reply(small):
    head = f"Article:\n{ARTICLE}\n\n"
    plain = small(QUESTION, 24)
    assert not small.has_prefix(QUESTION, head)
    assert small.warm(QUESTION, head) and small.has_prefix(QUESTION, head)
    other = [{"role": "user", "content": "Say hello."}]
    small(other, 4)  # the slot now holds another prompt: the kept state must be restored
    assert small(QUESTION, 24, cache_upto=head) == plain
    assert "Ruiz" in plain


@contextlib.contextmanager
def reads(engine) -> Iterator[list[tuple[int, int, np.ndarray]]]:
    """Note each batch slot 0's llama.cpp context reads: (tokens held after it, its size, the logits after it)."""
    llm = engine._llms[0]
    seen: list[tuple[int, int, np.ndarray]] = []
    read = llm.eval

    def eval_and_note(batch):
        read(batch)
        seen.append((llm.n_tokens, len(batch),
                     np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).copy()))

    llm.eval = eval_and_note
    try:
        yield seen
    finally:
        del llm.eval


def reply_and_logits(engine, messages: list[dict[str, str]], cache_upto: str | None = None) -> tuple[str, np.ndarray]:
    """The reply, and the logits its first token was chosen from (read off the slot's llama.cpp context)."""
    with reads(engine) as seen:
        reply = engine(messages, 12, cache_upto=cache_upto)
    prompt = len(engine._prompt_ids(messages, cache_upto)[0])
    return reply, next(logits for held, _, logits in seen if held == prompt)


def test_a_reply_does_not_depend_on_what_was_asked_before(small):
    """llama.cpp rounds differently in chunks of other sizes: a prompt read on from wherever the previous one
    diverged got other logits (and now and then another answer) than the same prompt read afresh."""
    head = f"Article:\n{ARTICLE}\n\n"
    system = QUESTION[0]
    when = [system, {"role": "user", "content": f"{head}Question: When did the library reopen?"}]
    follow_up = [*QUESTION, {"role": "assistant", "content": "Ana Ruiz."}, {"role": "user", "content": "What did she say?"}]
    other = [system, {"role": "user", "content": "Article:\nThe harbour board met on Friday and counted 40 boats.\n\n"
                                                   "Question: How many boats?"}]
    histories = [[(other, None)], [(QUESTION, head)], [(QUESTION, None)], [(when, None), (QUESTION, head)]]
    for messages, cache_upto in ((when, head), (when, None), (follow_up, None)):
        fresh = make_engine(SMALL, Config(cache_dir=cache_dir()))
        try:
            expected = reply_and_logits(fresh, messages, cache_upto)
        finally:
            fresh.close()
        for history in histories:
            for earlier, earlier_upto in history:
                small(earlier, 6, cache_upto=earlier_upto)
            reply, logits = reply_and_logits(small, messages, cache_upto)
            assert reply == expected[0] and np.array_equal(logits, expected[1]), (messages[-1], history)


def test_an_article_read_ahead_serves_a_question_that_does_not_keep_it(small):
    """A question whose prompt starts with an article read ahead, but keeps only its system prompt (excerpts
    that happen to be the whole article), still skips reading most of the article: both prompts are read in
    chunks that start again where the system prompt ends."""
    article = " ".join(f"On day {n} the harbour board counted {n * 3} boats." for n in range(30))
    head = f"Article:\n{article}\n\n"
    messages = [QUESTION[0], {"role": "user", "content": f"{head}Question: How many boats on day 7?"}]
    assert small.warm(messages, head)
    small([{"role": "user", "content": "Say hello."}], 2)  # the slot holds another prompt
    tokens, head_ids = small._prompt_ids(messages, head)[:2]
    with reads(small) as seen:
        small(messages, 2)  # no cache_upto: the prefix kept for this prompt is its system prompt
    read = sum(size for held, size, _ in seen if held <= len(tokens))  # the prompt, not the reply
    assert len(tokens) - len(head_ids) <= read <= len(tokens) - len(head_ids) + small.chunk_tokens


def test_stop_frees_the_engine_at_once(small):
    stream = small.stream(LONG, 400)
    next(stream)
    stream.close()
    assert wait_idle(small, timeout=5) < 5
    control = Control()
    with controlled(control):
        pieces = small.stream(LONG, 400)
        next(pieces)
        control.stop()
        rest = "".join(pieces)
    assert len(rest) < 40  # at most a token or two after Stop
    assert small(QUESTION, 24)  # the next question runs


def test_two_slots_write_at_once():
    engine = make_engine(SMALL, Config(cache_dir=cache_dir(), engine_slots=2))
    firsts: list[float] = []
    ends: list[float] = []

    def read() -> None:
        stream = engine.stream(LONG, 40)
        next(stream)
        firsts.append(time.monotonic())
        "".join(stream)
        ends.append(time.monotonic())

    try:
        threads = [threading.Thread(target=read) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert max(firsts) < min(ends)  # the second began before the first finished
    finally:
        engine.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server():
    """llama.cpp's OpenAI-compatible server on the small GGUF, on a free loopback port."""
    port = free_port()
    gguf = gguf_path(SMALL, cache_dir())
    process = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host",
                                "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--model_alias", "small"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(url + "/v1/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "llama.cpp server did not start"
        time.sleep(0.5)
    yield url
    process.terminate()
    process.wait(timeout=20)


def test_openai_compatible_server_by_url(llama_server, small):
    engine = make_engine("ignored", Config(llm_url=llama_server, llm_model="small"))
    assert "small" in engine.models()
    reply = engine(QUESTION, 24)
    assert "Ruiz" in reply
    stream = engine.stream(LONG, 400)
    next(stream)
    stream.close()
    assert wait_idle(engine, timeout=5) < 5
    assert "Ruiz" in engine(QUESTION, 24)  # the server serves the next request after a cancel
    engine.close()


def test_unreachable_server_is_a_readable_error():
    engine = make_engine("ignored", Config(llm_url=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(RuntimeError, match="could not be reached"):
        engine(QUESTION, 4)


def test_interrupted_read_ahead_resumes_where_it_stopped(small):
    long_article = " ".join(f"Paragraph {n}: the harbour board met on day {n} and counted {n * 3} boats." for n in range(120))
    head = f"Article:\n{long_article}\n\n"
    messages = [{"role": "system", "content": "Answer briefly."},
                {"role": "user", "content": f"{head}Question: How many boats on day 7?"}]
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("warm", small.warm(messages, head)))
    thread.start()
    time.sleep(1.5)  # reading the article in the background
    assert small([{"role": "user", "content": "Say yes."}], 2)  # a user arrives: the reading gives way
    thread.join()
    assert outcome["warm"] is False and not small.has_prefix(messages, head)
    kept = [len(k) for k in small._kept._states]
    assert any(0 < n for n in kept)  # what was read is kept...
    assert small.warm(messages, head) and small.has_prefix(messages, head)  # ...and the next attempt completes it
