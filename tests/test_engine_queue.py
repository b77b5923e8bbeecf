"""The engine's queue: users first come first served, background work gives way, Stop frees a slot,
waits are bounded and report their place. A tiny engine that writes one token every few milliseconds
stands in for a model here; tests/test_engines.py runs the real ones."""
from __future__ import annotations

import threading
import time
from typing import Iterator

import pytest

from qa_bot.engines.base import Cancelled, Control, Engine, EngineBusy, Preempted, Request, controlled


class TickEngine(Engine):
    """Writes the prompt's last message word by word, one word per ``tick`` seconds."""

    name = "tick"

    def __init__(self, slots: int = 1, tick: float = 0.01, max_wait_s: float = 30.0) -> None:
        super().__init__(slots, max_wait_s)
        self.tick = tick
        self.started: list[str] = []
        self.stopped_at: dict[str, int] = {}

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def _generate(self, slot: int, request: Request) -> Iterator[str]:
        words = request.messages[-1]["content"].split()
        self.started.append(words[0])
        written = 0
        try:
            for word in words[: request.max_tokens]:
                if request.should_stop():
                    return
                time.sleep(self.tick)
                yield word + " "
                written += 1
        finally:
            self.stopped_at[words[0]] = written


def say(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_reply_whole_and_streamed():
    engine = TickEngine()
    assert engine(say("a b c"), 10) == "a b c "
    assert list(engine.stream(say("a b c"), 2)) == ["a ", "b "]
    assert engine.idle_s >= 0 and engine.waiting() == 0


def test_users_are_served_in_arrival_order():
    engine = TickEngine(tick=0.02)
    replies: dict[str, str] = {}

    def ask(word: str) -> None:
        replies[word] = engine(say(f"{word} " * 5), 5)

    threads = []
    for word in ["first", "second", "third"]:
        threads.append(threading.Thread(target=ask, args=(word,)))
        threads[-1].start()
        wait_until(lambda: word in engine.started or engine.waiting() >= len(threads) - 1)
    for t in threads:
        t.join()
    assert engine.started == ["first", "second", "third"]
    assert replies["second"] == "second " * 5


def test_background_gives_way_to_a_user():
    engine = TickEngine(tick=0.02)
    outcome = {}

    def background() -> None:
        try:
            engine(say("bg " * 500), 500, background=True)
            outcome["bg"] = "finished"
        except Preempted:
            outcome["bg"] = "preempted"

    thread = threading.Thread(target=background)
    thread.start()
    wait_until(lambda: "bg" in engine.started)
    assert engine(say("user asks"), 5) == "user asks "
    thread.join()
    assert outcome["bg"] == "preempted" and engine.stopped_at["bg"] < 500


def test_background_does_not_start_while_users_wait():
    engine = TickEngine(tick=0.05)
    thread = threading.Thread(target=lambda: engine(say("user " * 20), 20))
    thread.start()
    wait_until(lambda: "user" in engine.started)
    with pytest.raises(Preempted):
        engine(say("bg"), 1, background=True)  # the only slot is taken by a user
    thread.join()


def test_closing_the_stream_frees_the_slot():
    engine = TickEngine(tick=0.02)
    stream = engine.stream(say("long " * 1000), 1000)
    next(stream)
    stream.close()  # what a Stop or a closed tab does to the reply's iterator
    wait_until(lambda: engine.idle_s > 0, timeout=2)
    assert engine.stopped_at["long"] < 1000
    assert engine(say("next question"), 5) == "next question "


def test_control_stops_every_generation_of_a_reply_and_reports_the_queue():
    engine = TickEngine(tick=0.02)
    blocker = threading.Thread(target=lambda: engine(say("busy " * 40), 40))
    blocker.start()
    wait_until(lambda: "busy" in engine.started)
    control = Control()
    errors = []

    def reply() -> None:
        with controlled(control):
            try:
                engine(say("mine " * 100), 100)
            except Cancelled as exc:
                errors.append(exc)

    thread = threading.Thread(target=reply)
    thread.start()
    wait_until(lambda: control.waiting)
    assert control.ahead == 1  # the reply being written
    control.stop()
    thread.join(timeout=5)
    assert errors and "mine" not in engine.started  # cancelled while still waiting: never ran
    blocker.join()


def test_waits_are_bounded_with_a_readable_message():
    engine = TickEngine(tick=0.05, max_wait_s=0.2)
    thread = threading.Thread(target=lambda: engine(say("slow " * 40), 40))
    thread.start()
    wait_until(lambda: "slow" in engine.started)
    with pytest.raises(EngineBusy, match="busy"):
        engine(say("late"), 1)
    thread.join()


def test_two_slots_write_two_replies_at_once():
    engine = TickEngine(slots=2, tick=0.02)
    threads = [threading.Thread(target=lambda w=w: engine(say(f"{w} " * 30), 30)) for w in ("x", "y")]
    for t in threads:
        t.start()
    wait_until(lambda: len(engine.started) == 2, timeout=1)  # the second did not wait for the first
    for t in threads:
        t.join()


def test_errors_reach_the_caller_and_free_the_slot():
    class Broken(TickEngine):
        def _generate(self, slot, request):
            yield "half "
            raise RuntimeError("engine failed")

    engine = Broken()
    with pytest.raises(RuntimeError, match="engine failed"):
        engine(say("x"), 5)
    assert engine.waiting() == 0 and engine.idle_s > 0


def test_bad_arguments():
    with pytest.raises(ValueError):
        TickEngine(slots=0)
    with pytest.raises(ValueError):
        list(TickEngine().stream(say("x"), 0))
