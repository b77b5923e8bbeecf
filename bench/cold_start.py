"""Cold start: from launching ``python app.py --port P --index TMP`` until a first answer arrives.

Contract with app.py: it prints its URL (http://host:port) on standard output once it serves Gradio, and
the answer endpoint is ``/ask`` (gradio_client). Each launch uses a fresh, empty index folder, so the
time includes indexing the seed articles, as for a new user. qa_bot settings given as flags (or
QA_BOT_* variables) are passed on to app.py. Skipped, with a message, when app.py does not exist.

    python bench/cold_start.py --limit 1
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python bench/cold_start.py

from bench.common import (PROJECT_ROOT, SEED_QUESTIONS, base_parser, contains_answer, latency,  # noqa: E402
                          print_table, progress, write_results)

APP = PROJECT_ROOT / "app.py"
URL = re.compile(r"https?://[\w.\-\[\]:]+(?::\d+)?")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config_flags(args: Any) -> list[str]:
    """The qa_bot settings given on our command line, as app.py flags."""
    from qa_bot import Config
    import dataclasses

    flags = []
    for f in dataclasses.fields(Config):
        value = getattr(args, f.name, None)
        if value is None or f.name == "index_dir":
            continue
        flag = "--" + f.name.replace("_", "-")
        if isinstance(value, bool):
            flags.append(flag if value else "--no-" + flag[2:])
        else:
            flags += [flag, str(value)]
    return flags


class AppProcess:
    """app.py in a child process (own process group); ``url`` is set when it prints one."""

    def __init__(self, argv: Sequence[str], log_path: Path) -> None:
        self.log = open(log_path, "w", encoding="utf-8")
        env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(list(argv), cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=self.log,
                                     text=True, env=env, start_new_session=True)
        self.url: str | None = None
        self.url_at: float | None = None
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.log.write(line)
            match = URL.search(line)
            if match and self.url is None:
                self.url, self.url_at = match.group().rstrip("/"), time.perf_counter()
                self.ready.set()
        self.ready.set()  # the process ended

    def stop(self) -> None:
        """Interrupt the app (Ctrl+C), then kill its process group if it lingers."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def first_answer(url: str, question: str, timeout: float) -> dict[str, Any]:
    """Ask through gradio_client's /ask endpoint; retry while the server finishes starting."""
    from gradio_client import Client

    deadline = time.perf_counter() + timeout
    last_error: Exception | None = None
    while time.perf_counter() < deadline:
        try:
            client = Client(url, verbose=False)
            return client.predict(question=question, api_name="/ask")
        except Exception as exc:  # noqa: BLE001 - connection refused, not ready yet, ...
            last_error = exc
            time.sleep(0.5)
    raise TimeoutError(f"no answer from {url}/ask within {timeout:.0f} s: {last_error}")


def launch_once(n: int, args: Any, tmp: Path) -> dict[str, Any]:
    """One cold start: launch, wait for the URL, ask, stop."""
    question, expected = SEED_QUESTIONS[0]
    port = free_port()
    argv = [sys.executable, str(APP), "--port", str(port), "--index", str(tmp / f"index-{n}"), *config_flags(args)]
    t0 = time.perf_counter()
    app = AppProcess(argv, tmp / f"app-{n}.log")
    try:
        if not app.ready.wait(args.timeout) or app.url is None:
            code = app.proc.poll()
            tail = (tmp / f"app-{n}.log").read_text(errors="replace")[-1500:]
            raise RuntimeError(f"app.py printed no URL (exit code {code}); its output ends with:\n{tail}")
        ready_s = app.url_at - t0
        progress(f"launch {n}: URL {app.url} after {ready_s:.1f} s")
        t1 = time.perf_counter()
        reply = first_answer(app.url, question, max(10.0, args.timeout - ready_s))
        t2 = time.perf_counter()
    finally:
        app.stop()
    answer = reply.get("answer", "") if isinstance(reply, dict) else str(reply)
    progress(f"launch {n}: answer after {t2 - t0:.1f} s: {answer!r}")
    return {"url_printed_s": ready_s, "first_answer_s": t2 - t0, "answer_request_s": t2 - t1,
            "question": question, "answer": answer, "correct": contains_answer(answer, expected),
            "argv": argv[1:]}


def main() -> int:
    parser = base_parser(__doc__.splitlines()[0], 1, "launches (each a cold start)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds a launch may take until it answers")
    args = parser.parse_args()
    if not APP.is_file():
        print(f"cold_start skipped: {APP} does not exist yet (app.py is being written); nothing measured.")
        return 0
    started = time.time()
    launches = []
    with tempfile.TemporaryDirectory(prefix="qa_bot-bench-cold-") as tmp:
        for n in range(1, (args.limit or 1) + 1):
            try:
                launches.append(launch_once(n, args, Path(tmp)))
            except (RuntimeError, TimeoutError) as exc:
                print(f"launch {n} failed: {exc}")
                launches.append({"error": str(exc)})
    ok = [r for r in launches if "error" not in r]
    url, first = latency([r["url_printed_s"] for r in ok]), latency([r["first_answer_s"] for r in ok])
    req = latency([r["answer_request_s"] for r in ok])
    print_table(f"Cold start of python app.py (fresh index, seeds indexed on start), {len(ok)}/{len(launches)} launches ok",
                ["seconds from launch", "n", "p50", "p95", "max"],
                [["URL printed (server up)", url["n"], url["p50"], url["p95"], url["max"]],
                 ["first answer received", first["n"], first["p50"], first["p95"], first["max"]],
                 ["  of which the /ask request", req["n"], req["p50"], req["p95"], req["max"]]])
    from qa_bot.config import config_from_args

    path = write_results("cold_start", args.tag, config=config_from_args(args), limit=args.limit,
                         results={"url_printed_s": url, "first_answer_s": first, "answer_request_s": req,
                                  "launches": launches},
                         params={"timeout": args.timeout, "app": str(APP)}, started=started, out_dir=args.out_dir)
    print(f"\nresults: {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
