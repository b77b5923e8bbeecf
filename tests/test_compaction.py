"""Compaction of the vector file: removed passages' rows are dropped by copying the live rows once (no
re-embedding), by `compact` or by itself past a share of dead rows; searches give the same results before
and after, in this process and in another one; a crash at any point leaves a readable index."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import ROOT, HashEmbedder
from qa_bot.articles import make_article
from qa_bot.index import PassageIndex

TOPICS = ["harbour ferry boats", "council budget vote", "storm power cuts", "football final striker",
          "river festival music", "school exams results", "railway strike trains", "museum painting theft"]
QUERIES = ["Which ferry carried boats in the harbour?", "Who scored in the football final?",
           "When is the river festival?", "What was stolen from the museum?", "How did the council vote?"]


def stories() -> list:
    out = []
    for n, topic in enumerate(TOPICS):
        body = " ".join(f"Report {n} line {k}: the {topic} story went on with detail {k * n}." for k in range(12))
        out.append(make_article(f"{topic.title()}\n\n{body}", title=topic.title()))
    return out


def make(path, **kw) -> PassageIndex:
    embedder = HashEmbedder()
    return PassageIndex(path, embedder, "hash", embedder.dim, chunk_chars=160, chunk_max_chars=320, **kw)


def results(index: PassageIndex) -> list:
    """What searches return: passages (article, offsets) with their scores, for every query."""
    return [[(h.passage.article_id, h.passage.start, h.passage.end, round(h.score, 5)) for h in index.search(q, k=6)]
            for q in QUERIES] + [[(h.passage.article_id, h.passage.start) for h in
                                  index.search("report story detail", k=4, article_ids=[index_ids(index)[0]])]]


def index_ids(index: PassageIndex) -> list[str]:
    return [i.id for i in index.article_page(100, newest_first=False)]


def store(path):
    return path / (path / "CURRENT").read_text().strip()


def vector_files(path) -> list[str]:
    return sorted(p.name for p in store(path).iterdir() if p.suffix in (".f16", ".i32", ".i64"))


def check_whole(index: PassageIndex) -> None:
    """Every live passage's vector is its own (read through the pid -> row mapping)."""
    assert np.allclose(index.vectors, HashEmbedder()([p.text for p in index.passages]), atol=2e-3)


@pytest.mark.parametrize("ann_threshold", [1_000_000, 20], ids=["exact", "ivf"])
def test_compact_shrinks_the_file_and_keeps_every_result(tmp_path, ann_threshold):
    index = make(tmp_path, compact_share=0, ann_threshold=ann_threshold)
    ids = index.add_articles(stories())
    assert index.remove([ids[1], ids[4], ids[6]]) == [ids[1], ids[4], ids[6]]
    before, size = results(index), (store(tmp_path) / "vectors.f16").stat().st_size
    done = index.compact()
    assert done.dropped > 0 and done.bytes_before == size
    assert done.bytes_after == done.rows_after * 2 * HashEmbedder.dim < size
    assert vector_files(tmp_path) == ["lists.g1.i32", "pids.g1.i64", "vectors.g1.f16"]
    assert results(index) == before
    reopened = make(tmp_path, ann_threshold=ann_threshold)
    assert results(reopened) == before
    check_whole(reopened)
    # later writes go on from there: new passages after the copied rows, removals, a second compaction
    more = make_article("Harbour ferry boats return\n\n" + "The harbour ferry boats return on Friday with 40 boats. " * 3)
    reopened.add_articles([more])
    reopened.remove([ids[0]])
    assert reopened.compact().dropped > 0
    assert vector_files(tmp_path) == ["lists.g2.i32", "pids.g2.i64", "vectors.g2.f16"]
    again = make(tmp_path, ann_threshold=ann_threshold)
    assert results(again) == results(reopened)
    assert again.search("harbour ferry boats return Friday", k=1)[0].passage.article_id == more.id
    assert ids[0] not in again.articles and len(again.articles) == len(ids) - 3
    check_whole(again)
    assert again.compact().dropped == 0  # nothing left to drop


def test_removals_compact_by_themselves_past_the_share(tmp_path):
    index = make(tmp_path / "auto", compact_share=0.3)
    never = make(tmp_path / "never", compact_share=0)  # the same library, never compacted
    ids = index.add_articles(stories())
    assert never.add_articles(stories()) == ids
    for removing in (ids[:2], ids[2:3]):  # 2 of 8 articles: a quarter of the rows; then past 30 %
        index.remove(removing)
        never.remove(removing)
        if removing == ids[:2]:
            assert vector_files(tmp_path / "auto") == ["lists.i32", "vectors.f16"]
    assert vector_files(tmp_path / "auto") == ["lists.g1.i32", "pids.g1.i64", "vectors.g1.f16"]
    assert vector_files(tmp_path / "never") == ["lists.i32", "vectors.f16"]
    assert results(index) == results(never) == results(make(tmp_path / "auto"))


def test_another_process_keeps_reading_then_adopts_the_compacted_files(tmp_path):
    writer = make(tmp_path, compact_share=0)
    ids = writer.add_articles(stories())
    reader = make(tmp_path)  # as another process: its own FAISS index and open files
    writer.remove(ids[3:6])
    reader.refresh()
    before = results(reader)
    writer.compact()
    assert not (store(tmp_path) / "vectors.f16").exists()
    assert results(reader) == before  # still reading the replaced generation it holds open
    reader.refresh()
    assert reader._state.vectors.gen == 1 and results(reader) == before
    writer.add_articles([make_article("Tram line opens\n\nThe new tram line opens on Monday with ten stops.")])
    reader.refresh()
    assert reader.search("tram line stops", k=1)[0].title == "Tram line opens"


def test_a_failed_commit_keeps_the_previous_files_in_use(tmp_path, monkeypatch):
    from qa_bot.store import Store

    index = make(tmp_path, compact_share=0)
    ids = index.add_articles(stories())
    index.remove(ids[:3])
    before, files = results(index), vector_files(tmp_path)

    def full(db, **values):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Store, "set_meta", staticmethod(full))
    with pytest.raises(OSError):
        index.compact()
    monkeypatch.undo()
    assert vector_files(tmp_path) == files and results(index) == before  # the new files are gone again
    assert results(make(tmp_path)) == before
    assert index.compact().dropped > 0 and results(make(tmp_path)) == before


def test_a_failed_write_leaves_the_index_readable(tmp_path, monkeypatch):
    from qa_bot import vectors as vectors_mod

    index = make(tmp_path, compact_share=0)
    ids = index.add_articles(stories())
    index.remove(ids[:3])
    before = results(index)

    def broken(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(vectors_mod.os, "fsync", broken)
    with pytest.raises(OSError):
        index.compact()
    monkeypatch.undo()
    assert "vectors.f16" in vector_files(tmp_path)
    assert results(index) == before and results(make(tmp_path)) == before
    assert index.compact().dropped > 0  # the half-written files are replaced
    assert vector_files(tmp_path) == ["lists.g1.i32", "pids.g1.i64", "vectors.g1.f16"]
    assert results(make(tmp_path)) == before


KILL = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, "tests")
    from conftest import HashEmbedder
    from qa_bot import index as index_mod, vectors as vectors_mod
    where, path = sys.argv[1], sys.argv[2]
    if where == "before-commit":   # the new files are written and fsynced, SQLite still names the old ones
        index_mod._fsync_dir = lambda folder: os._exit(9)
    else:                          # committed; the old files not yet deleted
        opened = vectors_mod.VectorFile.open
        vectors_mod.VectorFile.open = lambda self: os._exit(9) if self.gen else opened(self)
    embedder = HashEmbedder()
    index_mod.PassageIndex(path, embedder, "hash", embedder.dim, chunk_chars=160, chunk_max_chars=320).compact()
""")


@pytest.mark.parametrize("where", ["before-commit", "after-commit"])
def test_a_killed_compaction_leaves_a_readable_index(tmp_path, where):
    index = make(tmp_path, compact_share=0)
    ids = index.add_articles(stories())
    index.remove(ids[2:5])
    before = results(index)
    done = subprocess.run([sys.executable, "-c", KILL, where, str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert done.returncode == 9, done.stderr
    assert len(vector_files(tmp_path)) == 5  # both generations on disk
    reopened = make(tmp_path, compact_share=0)
    assert reopened._state.vectors.gen == (0 if where == "before-commit" else 1)
    assert results(reopened) == before
    check_whole(reopened)
    reopened.remove(ids[5])  # and it stays writable: the next compaction clears what the kill left
    reopened.compact()
    assert vector_files(tmp_path) == [f"lists.g{g}.i32" for g in [reopened._state.vectors.gen]] + \
        [f"pids.g{reopened._state.vectors.gen}.i64", f"vectors.g{reopened._state.vectors.gen}.f16"]
    assert results(make(tmp_path)) == results(reopened)


def test_cli_compact(tmp_path, capsys, monkeypatch):
    from qa_bot import Bot, cli

    monkeypatch.setattr(Bot, "embedder", property(lambda self: HashEmbedder()))
    bot = Bot(index_dir=tmp_path / "index", compact_dead_share=0)
    ids = bot.add_articles(stories())
    bot.remove(ids[:2])
    assert cli.main(["--index", str(tmp_path / "index"), "compact"]) == 0
    assert "compacted:" in capsys.readouterr().out
    assert cli.main(["--index", str(tmp_path / "index"), "compact"]) == 0
    assert "nothing to compact" in capsys.readouterr().out
