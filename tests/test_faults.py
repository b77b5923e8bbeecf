"""Crashes must lose nothing committed and never leave a half-written index (real subprocesses)."""
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np

from conftest import ROOT


def _articles(folder, count):
    folder.mkdir()
    for i in range(count):
        body = " ".join(f"Report {i} sentence {j} says the council met in district {i} on day {j}." for j in range(40))
        (folder / f"story-{i:02d}.txt").write_text(f"Story number {i} headline\n\n{body}\n", encoding="utf-8")


def _store(index):
    return index / (index / "CURRENT").read_text().strip()


def _committed(index):
    """Articles committed so far, read the way another process would (0 before the first commit)."""
    if not (index / "CURRENT").exists():
        return 0
    db = sqlite3.connect(_store(index) / "library.sqlite")
    try:
        return db.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:  # tables not created yet
        return 0
    finally:
        db.close()


def _ingest(index, folder):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "qa_bot", "--index", str(index), "ingest", str(folder),
                             "--batch", "4"],
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
    sample = idx.passages[:12]
    assert np.allclose(idx.vectors[:12], minilm([p.text for p in sample]), atol=3e-3)
    return idx


def test_sigkill_during_folder_ingest_loses_no_committed_article(tmp_path, minilm):
    folder = tmp_path / "articles"
    _articles(folder, 40)
    rng = random.Random(7)
    index = tmp_path / "index"
    seen_counts = []
    for attempt in range(3):
        before = _committed(index)
        proc = _ingest(index, folder)
        deadline = time.time() + 300
        # kill shortly after the next batch is committed: mid-ingest, at a varying point of the next batch
        while time.time() < deadline and proc.poll() is None:
            if _committed(index) != before:
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
    # leftovers of killed writers are harmless: one store folder, no temporary ones
    assert not [p for p in index.iterdir() if p.name.startswith(".tmp")]
    stores = [p.name for p in index.iterdir() if p.name.startswith("store-")]
    assert stores == [_store(index).name]


def test_corrupt_index_cli_names_file_and_rebuild_keeps_data(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    index = tmp_path / "index"
    run = lambda *args: subprocess.run([sys.executable, "-m", "qa_bot", "--index", str(index), *args],  # noqa: E731
                                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run("ingest", str(ROOT / "seeds")).returncode == 0
    damaged = _store(index) / "vectors.f16"
    damaged.write_bytes(damaged.read_bytes()[:100])
    out = run("list")
    assert out.returncode == 2
    assert "vectors.f16" in out.stderr and "rebuild" in out.stderr
    assert damaged.exists()
    assert run("rebuild").returncode == 0
    listed = run("list")
    assert listed.returncode == 0 and "Biden and Putin" in listed.stdout


def test_cli_opens_an_index_of_the_old_layout_through_a_migration(tmp_path, minilm):
    from qa_bot.articles import make_article
    from qa_bot.chunking import chunk_article

    index = tmp_path / "index"
    gen = index / "gen-000002"
    gen.mkdir(parents=True)
    article = make_article((ROOT / "seeds" / "biden-putin-ukraine-call.txt").read_text(encoding="utf-8"))
    passages = chunk_article(article.id, article.text)
    (gen / "articles.json").write_text(json.dumps([article.to_dict()]))
    (gen / "passages.json").write_text(json.dumps([[p.article_id, p.start, p.end] for p in passages]))
    np.save(gen / "vectors.npy", minilm([p.text for p in passages]))
    (gen / "dense.faiss").write_bytes(b"x")
    files = {p.name: p.stat().st_size for p in gen.iterdir()}
    (gen / "manifest.json").write_text(json.dumps({"format": 1, "embed_model": "all-minilm-l6-v2",
                                                   "dim": minilm.dim, "files": files}))
    (index / "CURRENT").write_text("gen-000002\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "qa_bot", "--index", str(index), "list"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "Migrating" in out.stderr and "Biden and Putin" in out.stdout
    assert _store(index).name.startswith("store-") and not gen.exists()
