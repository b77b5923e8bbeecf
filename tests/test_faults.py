"""Crashes must lose nothing committed and never leave a half-written index (real subprocesses)."""
import json
import os
import random
import signal
import subprocess
import sys
import time


from conftest import ROOT


def _articles(folder, count):
    folder.mkdir()
    for i in range(count):
        body = " ".join(f"Report {i} sentence {j} says the council met in district {i} on day {j}." for j in range(40))
        (folder / f"story-{i:02d}.txt").write_text(f"Story number {i} headline\n\n{body}\n", encoding="utf-8")


def _ingest(index, folder):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "qa_bot", "--index", str(index), "ingest", str(folder)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _check_index(index, minilm):
    """Open the index; every article in it must be whole: passages cover it and vectors match."""
    from qa_bot.index import PassageIndex

    idx = PassageIndex(index, minilm, "all-minilm-l6-v2", minilm.dim)
    for aid, article in idx.articles.items():
        passages = [p for p in idx.passages if p.article_id == aid]
        assert passages, f"article {aid} has no passages"
        assert passages[0].start == 0 and passages[-1].end == len(article.text)
    assert idx.vectors.shape[0] == len(idx.passages)
    return idx


def test_sigkill_during_folder_ingest_loses_no_committed_article(tmp_path, minilm):
    folder = tmp_path / "articles"
    _articles(folder, 40)
    rng = random.Random(7)
    index = tmp_path / "index"
    seen_counts = []
    for attempt in range(3):
        before = (index / "CURRENT").read_text() if (index / "CURRENT").exists() else ""
        proc = _ingest(index, folder)
        deadline = time.time() + 300
        # kill shortly after the next batch is committed: mid-ingest, at a varying point of the next batch
        while time.time() < deadline and proc.poll() is None:
            if (index / "CURRENT").exists() and (index / "CURRENT").read_text() != before:
                break
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen_counts.append(len(_check_index(index, minilm).articles))
    assert seen_counts == sorted(seen_counts), "a kill lost articles committed before it"
    assert 0 < seen_counts[0] < 40, seen_counts
    proc = _ingest(index, folder)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode()
    idx = _check_index(index, minilm)
    assert len(idx.articles) == 40
    # leftovers of killed writers are cleaned up by the next save: one generation, no temp folders
    assert not [p for p in index.iterdir() if p.name.startswith(".tmp")]
    gens = [p.name for p in index.iterdir() if p.name.startswith("gen-")]
    assert gens == [(index / "CURRENT").read_text().strip()]
    assert json.loads((index / gens[0] / "manifest.json").read_text())["articles"] == 40


def test_corrupt_index_cli_names_file_and_rebuild_keeps_data(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    index = tmp_path / "index"
    run = lambda *args: subprocess.run([sys.executable, "-m", "qa_bot", "--index", str(index), *args],  # noqa: E731
                                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run("ingest", str(ROOT / "seeds")).returncode == 0
    gen = (index / "CURRENT").read_text().strip()
    damaged = index / gen / "passages.json"
    damaged.write_text('{"broken": ')
    out = run("list")
    assert out.returncode == 2
    assert "passages.json" in out.stderr and "rebuild" in out.stderr
    assert damaged.exists()
    assert run("rebuild").returncode == 0
    listed = run("list")
    assert listed.returncode == 0 and "Biden and Putin" in listed.stdout
