"""Load: N concurrent chat sessions through gradio_client against a running qa_bot app, three questions each.

Starts ``python app.py`` on a free port with a fresh temporary index (the seeds are indexed on start) and
the given ``--concurrency`` / ``--max-queue``, or uses ``--url``. Each session is its own gradio_client
``Client`` asking three different seed-article questions in one conversation through ``/chat`` (the UI's
chat endpoint: the server keeps each session's history). Checked: every answer contains its expected
fact, every transcript holds exactly its own questions and answers (no other session's history), no
request failed. A request the queue turns away ("Queue is full") is retried after ``--retry-wait``
seconds and counted as "told to retry". Reports throughput and latency percentiles (table and JSON).

    python bench/load.py --sessions 4      # validation
    python bench/load.py                   # 50 sessions (~40 min on 2 cores: one reply at a time)
"""
from __future__ import annotations

import argparse
import html
import itertools
import re
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python bench/load.py

from bench.common import (SEED_QUESTIONS, base_parser, contains_answer, latency, print_table,  # noqa: E402
                          progress, write_results)

# The seed questions the default model answers reliably (tests/test_e2e.py checks the same six).
QUESTIONS: list[tuple[str, str]] = SEED_QUESTIONS[:6]
QUEUE_FULL = "Queue is full"
RATE_LIMITED = "Too many requests"


@dataclass
class TurnResult:
    """One question of one session: its answer, whether it holds the expected fact, and how long it took."""

    session: int
    turn: int
    question: str
    expected: str
    answer: str = ""
    correct: bool = False
    seconds: float = 0.0
    told_to_retry: int = 0
    error: str | None = None


@dataclass
class SessionResult:
    """One chat session: its turns and whether its transcript is its own."""

    session: int
    questions: list[str]
    turns: list[TurnResult] = field(default_factory=list)
    own_transcript: bool = False
    foreign: list[str] = field(default_factory=list)  # questions of other sessions seen in this transcript
    error: str | None = None

    @property
    def ok(self) -> bool:
        return (self.error is None and self.own_transcript and len(self.turns) == len(self.questions)
                and all(t.correct and t.error is None for t in self.turns))


@dataclass
class LoadRun:
    """All sessions of one run and its wall-clock time."""

    sessions: list[SessionResult]
    wall_s: float

    @property
    def turns(self) -> list[TurnResult]:
        return [t for s in self.sessions for t in s.turns]

    def summary(self) -> dict[str, Any]:
        """Counts, throughput and latency percentiles (seconds per answer, queue wait included)."""
        answered = [t for t in self.turns if t.error is None and RATE_LIMITED not in t.answer]
        return {
            "sessions": len(self.sessions),
            "sessions_ok": sum(s.ok for s in self.sessions),
            "sessions_with_errors": sum(1 for s in self.sessions if s.error or any(t.error for t in s.turns)),
            "sessions_with_foreign_history": sum(1 for s in self.sessions if s.foreign or not s.own_transcript),
            "questions": sum(len(s.questions) for s in self.sessions),
            "answers": len(answered),
            "correct": sum(t.correct for t in answered),
            "told_to_retry": sum(t.told_to_retry for t in self.turns),
            "sessions_told_to_retry": sum(1 for s in self.sessions if any(t.told_to_retry for t in s.turns)),
            "rate_limited": sum(1 for t in self.turns if RATE_LIMITED in t.answer),
            "wall_s": self.wall_s,
            "answers_per_min": 60.0 * len(answered) / self.wall_s if self.wall_s else 0.0,
            "latency_s": latency([t.seconds for t in answered]),
            "first_question_s": latency([t.seconds for t in answered if t.turn == 1]),
            "later_questions_s": latency([t.seconds for t in answered if t.turn > 1]),
        }


def session_questions(session: int, count: int = 3) -> list[tuple[str, str]]:
    """``count`` different seed questions for a session; neighbouring sessions get different sequences."""
    orders = list(itertools.permutations(range(len(QUESTIONS)), count))
    step = 7 if len(orders) % 7 else 1  # spread consecutive sessions over the permutations
    return [QUESTIONS[i] for i in orders[(session * step) % len(orders)]]


def message_text(message: dict[str, Any], answer_only: bool = False) -> str:
    """The plain text of a chat message as gradio_client returns it (``answer_only``: without its sources)."""
    content = message.get("content")
    raw = " ".join(c.get("text", "") for c in content) if isinstance(content, list) else str(content or "")
    if answer_only:
        raw = raw.split("<details", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def connect(url: str, attempts: int = 5) -> Any:
    """A gradio_client Client (a session of its own); retried while a busy server answers slowly."""
    from gradio_client import Client

    for attempt in range(1, attempts + 1):
        try:
            return Client(url.rstrip("/") + "/", verbose=False)
        except Exception:  # noqa: BLE001 - connection or config fetch timed out
            if attempt == attempts:
                raise
            time.sleep(2.0 * attempt)
    raise AssertionError("unreachable")


def chat_turn(client: Any, question: str, timeout: float, retry_wait: float) -> tuple[list[dict[str, Any]], int]:
    """Send one chat message, retrying while the queue is full and time is left; (the session's transcript,
    times the queue said to retry)."""
    deadline = time.perf_counter() + timeout
    refused = 0
    while True:
        try:
            job = client.submit(question, "all", "short", api_name="/chat")
            _, transcript = job.result(timeout=max(1.0, deadline - time.perf_counter()))
            return transcript, refused
        except Exception as exc:  # noqa: BLE001 - gradio_client raises plain exceptions for refusals
            if QUEUE_FULL not in str(exc) or time.perf_counter() + retry_wait >= deadline:
                raise
            refused += 1
            time.sleep(retry_wait)


def run_session(url: str, session: int, questions: Sequence[tuple[str, str]], all_questions: set[str],
                timeout: float, retry_wait: float = 5.0, start: threading.Barrier | None = None) -> SessionResult:
    """One conversation: ask each question in turn, then check the transcript is this session's own."""
    result = SessionResult(session, [q for q, _ in questions])
    try:
        client = connect(url)
    except Exception as exc:  # noqa: BLE001
        result.error = f"connect: {exc}"
        if start is not None:
            start.abort()  # never leave the others waiting
        return result
    try:
        if start is not None:
            start.wait()
        transcript: list[dict[str, Any]] = []
        for n, (question, expected) in enumerate(questions, 1):
            turn = TurnResult(session, n, question, expected)
            result.turns.append(turn)
            began = time.perf_counter()
            try:
                transcript, turn.told_to_retry = chat_turn(client, question, timeout, retry_wait)
            except Exception as exc:  # noqa: BLE001
                turn.error = f"{type(exc).__name__}: {exc}"
                break
            turn.seconds = time.perf_counter() - began
            turn.answer = message_text(transcript[-1], answer_only=True) if transcript else ""
            turn.correct = contains_answer(turn.answer, expected)
            progress(f"session {session} turn {n}: {turn.seconds:.1f} s {question[:45]!r} -> {turn.answer[:60]!r}"
                     + ("" if turn.correct else f"  (expected {expected!r})"))
        asked = [message_text(m) for m in transcript if m.get("role") == "user"]
        if result.turns and RATE_LIMITED in result.turns[-1].answer:
            asked = asked[:-1]  # a refusal is shown once, not kept in the conversation
        kept = [t.question for t in result.turns if t.error is None and RATE_LIMITED not in t.answer]
        result.own_transcript = asked == kept
        result.foreign = sorted(set(asked) & (all_questions - set(result.questions)))
    except threading.BrokenBarrierError:
        result.error = "another session could not connect"
    finally:
        client.close()
    return result


def run_load(url: str, sessions: int, questions_per_session: int = 3, timeout: float = 3600.0,
             retry_wait: float = 5.0) -> LoadRun:
    """All sessions at once (each connects, then all start together); returns their results."""
    plans = [session_questions(n, questions_per_session) for n in range(sessions)]
    every = {q for plan in plans for q, _ in plan}
    start = threading.Barrier(sessions)
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        futures = [pool.submit(run_session, url, n, plan, every, timeout, retry_wait, start)
                   for n, plan in enumerate(plans)]
        results = [f.result() for f in futures]
    return LoadRun(results, time.perf_counter() - began)


def warm_up(url: str, timeout: float) -> float:
    """One answer before the clock starts (the first generation after loading is slower); its seconds."""
    from bench.cold_start import first_answer

    began = time.perf_counter()
    first_answer(url, QUESTIONS[0][0], timeout)
    return time.perf_counter() - began


def report(run: LoadRun, title: str) -> dict[str, Any]:
    """Print the tables; return the summary."""
    s = run.summary()
    print_table(title, ["sessions ok", "answers", "correct", "errors", "foreign history", "told to retry",
                        "rate-limited", "wall s", "answers/min"],
                [[f"{s['sessions_ok']}/{s['sessions']}", f"{s['answers']}/{s['questions']}", s["correct"],
                  s["sessions_with_errors"], s["sessions_with_foreign_history"],
                  f"{s['told_to_retry']} ({s['sessions_told_to_retry']} sessions)",
                  s["rate_limited"], s["wall_s"], s["answers_per_min"]]], digits=1)
    rows = [[name, d["n"], d["p50"], d["p95"], d["max"], d["mean"]]
            for name, d in (("every answer", s["latency_s"]), ("first question (queue wait incl.)",
                                                                s["first_question_s"]),
                            ("2nd and 3rd questions", s["later_questions_s"]))]
    print_table("Seconds per answer (request sent -> whole transcript back)",
                ["seconds", "n", "p50", "p95", "max", "mean"], rows, digits=1)
    for session in run.sessions:
        if not session.ok:
            problems = [session.error] if session.error else []
            problems += [f"turn {t.turn}: {t.error or repr(t.answer[:80])} (expected {t.expected!r})"
                         for t in session.turns if t.error or not t.correct]
            if not session.own_transcript:
                problems.append(f"transcript not its own; foreign questions: {session.foreign}")
            print(f"session {session.session}: " + "; ".join(p for p in problems if p))
    return s


def app_argv(args: argparse.Namespace, port: int, index_dir: Path) -> list[str]:
    """``python app.py`` with a temporary index, the queue settings and the qa_bot settings given to us."""
    from bench.cold_start import APP, config_flags

    # every simulated user comes from 127.0.0.1: the per-address limit would count them as one visitor
    argv = [sys.executable, str(APP), "--port", str(port), "--index", str(index_dir),
            "--concurrency", str(args.concurrency), "--max-queue", str(args.max_queue),
            "--address-requests-per-minute", "0"]
    if args.requests_per_minute is not None:
        argv += ["--requests-per-minute", str(args.requests_per_minute)]
    return argv + config_flags(args)


def main() -> int:
    parser = base_parser(__doc__.splitlines()[0], 50, "concurrent chat sessions")
    parser.add_argument("--sessions", dest="limit", type=int, default=argparse.SUPPRESS, help="same as --limit")
    parser.add_argument("--questions", type=int, default=3, help="questions per session (different ones)")
    parser.add_argument("--url", default=None, help="a running qa_bot app; default: start app.py on a free port")
    parser.add_argument("--concurrency", type=int, default=4, help="app.py --concurrency (when started here)")
    parser.add_argument("--max-queue", type=int, default=64, help="app.py --max-queue (when started here)")
    parser.add_argument("--requests-per-minute", type=int, default=None,
                        help="app.py --requests-per-minute (when started here; default: the app's)")
    parser.add_argument("--timeout", type=float, default=3600,
                        help="seconds one answer may take, queue waits and retries included")
    parser.add_argument("--retry-wait", type=float, default=5, help="seconds before retrying when the queue is full")
    parser.add_argument("--start-timeout", type=float, default=900, help="seconds app.py may take to start")
    args = parser.parse_args()
    sessions = args.limit or 50
    if not 1 <= args.questions <= len(QUESTIONS):
        parser.error(f"--questions must be within 1..{len(QUESTIONS)}")

    from bench.cold_start import AppProcess, free_port
    from qa_bot.config import config_from_args

    started = time.time()
    with tempfile.TemporaryDirectory(prefix="qa_bot-bench-load-") as tmp:
        app = None
        url = args.url
        if url is None:
            port = free_port()
            app = AppProcess(app_argv(args, port, Path(tmp) / "index"), Path(tmp) / "app.log")
            progress(f"starting app.py on port {port} (log: {tmp}/app.log)")
            if not app.ready.wait(args.start_timeout) or app.url is None:
                tail = (Path(tmp) / "app.log").read_text(errors="replace")[-1500:]
                app.stop()
                raise SystemExit(f"app.py printed no URL; its output ends with:\n{tail}")
            url = app.url
        try:
            warm = warm_up(url, args.timeout)
            progress(f"warm-up answer: {warm:.1f} s; now {sessions} sessions x {args.questions} questions")
            run = run_load(url, sessions, args.questions, args.timeout, args.retry_wait)
        finally:
            if app is not None:
                app.stop()
    queue = (f"app.py --concurrency {args.concurrency} --max-queue {args.max_queue}" if args.url is None
             else f"server {args.url}")
    summary = report(run, f"Load: {sessions} concurrent chat sessions x {args.questions} questions ({queue})")
    path = write_results("load", args.tag, config=config_from_args(args), limit=sessions,
                         results={**summary, "warmup_s": warm, "sessions_detail": run.sessions},
                         params={"sessions": sessions, "questions": args.questions, "url": args.url,
                                 "concurrency": None if args.url else args.concurrency,
                                 "max_queue": None if args.url else args.max_queue,
                                 "requests_per_minute": args.requests_per_minute, "timeout": args.timeout,
                                 "retry_wait": args.retry_wait},
                         started=started, out_dir=args.out_dir)
    print(f"\nresults: {path}")
    return 0 if summary["sessions_ok"] == sessions else 1


if __name__ == "__main__":
    sys.exit(main())
