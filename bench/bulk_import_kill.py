"""A bulk import killed halfway and resumed: ``python -m qa_bot ingest FOLDER`` over N news articles
(variants of the CNN/DailyMail and XSum dev articles, real embedder), SIGKILL once half are committed,
then the same command again; checks that nothing committed was lost and the index opens whole.

    python bench/bulk_import_kill.py --articles 10000 --json bench/results/bulk_import_kill-10k.json
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python bench/bulk_import_kill.py

from bench.common import DEFAULT_DATA_DIR, PROJECT_ROOT, machine_info  # noqa: E402


def write_folder(folder: Path, count: int) -> None:
    texts = []
    for name in ("cnn_dm_dev.jsonl", "xsum_dev.jsonl"):
        texts += [json.loads(line)["article"] for line in (DEFAULT_DATA_DIR / name).read_text().splitlines()]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"story-{i:06d}.txt").write_text(f"Story {i}: {texts[i % len(texts)]}\n\nFiled as item {i}.\n")


def committed(index: Path) -> int:
    current = index / "CURRENT"
    if not current.exists():
        return 0
    db = sqlite3.connect(index / current.read_text().strip() / "library.sqlite")
    try:
        return db.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def ingest(index: Path, folder: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "qa_bot", "--index", str(index), "ingest", str(folder)],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=open(log, "ab"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bulk_import_"))
    folder, index, log = work / "articles", work / "index", work / "ingest.log"
    write_folder(folder, args.articles)
    start = time.time()
    proc = ingest(index, folder, log)
    while proc.poll() is None and committed(index) < args.articles // 2:
        time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at, first_s = committed(index), time.time() - start
    resumed = time.time()
    proc = ingest(index, folder, log)
    out, _ = proc.communicate()
    second_s = time.time() - resumed
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "HF_HUB_OFFLINE": "1"}
    listed = subprocess.run([sys.executable, "-m", "qa_bot", "--index", str(index), "list"], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True)
    bars = [line for line in log.read_text(errors="replace").replace("\r", "\n").splitlines() if "ingesting" in line]
    result = {
        "articles": args.articles, "killed_at_committed": killed_at, "first_run_s": first_s,
        "resumed_exit_code": proc.returncode, "resumed_output": out.decode().strip()[:200], "resumed_s": second_s,
        "final_committed": committed(index), "list_exit_code": listed.returncode,
        "listed": len(listed.stdout.splitlines()), "last_progress_lines": bars[-3:],
    }
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps({"script": "bulk_import_kill", "machine": machine_info(), "results": result},
                                        indent=1) + "\n")
    return 0 if result["final_committed"] == args.articles and listed.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
