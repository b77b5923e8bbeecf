import json
import threading

import numpy as np
import pytest

from qa_bot import index as index_mod
from qa_bot.articles import make_article
from qa_bot import vectors as vectors_mod
from qa_bot.chunking import chunk_article
from qa_bot.index import IndexCorrupt, IndexMismatch, PassageIndex, read_articles

ARTICLES = [
    ("Storm hits coast", "A powerful storm hit the coast on Monday. Thousands of homes lost power. "
     "The mayor said repairs would take a week."),
    ("Budget passes", "The city council passed the budget on Tuesday. It raises spending on schools by "
     "five percent. The vote was seven to two."),
    ("Team wins final", "The local football team won the final on Sunday. The striker scored twice. "
     "Fans celebrated in the main square until midnight."),
]


def make(path, embedder, name="hash", **kw):
    return PassageIndex(path, embedder, name, embedder.dim, chunk_chars=120, chunk_max_chars=300, **kw)


def articles():
    return [make_article(text, title=title) for title, text in ARTICLES]


def test_add_save_load_search(tmp_path, hash_embedder):
    idx = make(tmp_path, hash_embedder)
    added = idx.add_articles(articles())
    assert len(added) == 3 and len(idx) >= 3
    again = make(tmp_path, hash_embedder)
    assert set(again.articles) == set(added)
    assert len(again) == len(idx)
    hits = again.search("Who scored in the football final?", k=2)
    assert hits[0].title == "Team wins final"
    for hit in hits:
        assert again.articles[hit.passage.article_id].text[hit.passage.start:hit.passage.end] == hit.passage.text


def test_reingest_is_a_noop(tmp_path, hash_embedder):
    idx = make(tmp_path, hash_embedder)
    idx.add_articles(articles())
    generation = idx.generation
    assert idx.add_articles(articles()) == []
    assert idx.generation == generation


def test_remove_article(tmp_path, hash_embedder):
    idx = make(tmp_path, hash_embedder)
    ids = idx.add_articles(articles())
    assert idx.remove(ids[0]) == [ids[0]]
    assert idx.remove("nope") == []
    reopened = make(tmp_path, hash_embedder)
    assert ids[0] not in reopened.articles
    assert all(p.article_id != ids[0] for p in reopened.passages)
    assert reopened.vectors.shape[0] == len(reopened.passages)
    assert all(p.article_id != ids[0] for p in reopened.passages_of(ids[0]))
    assert all(h.passage.article_id != ids[0] for h in reopened.search("storm coast power", k=5))


def test_search_restricted_to_articles(tmp_path, hash_embedder):
    idx = make(tmp_path, hash_embedder)
    ids = idx.add_articles(articles())
    hits = idx.search("storm power homes", k=3, article_ids=[ids[1]])
    assert hits and all(h.passage.article_id == ids[1] for h in hits)


def test_hybrid_fusion_uses_lexical_scores(tmp_path, hash_embedder):
    idx = make(tmp_path, hash_embedder)
    idx.add_articles(articles())
    dense_only = idx.search("council vote", k=3, lexical_weight=0.0)
    hybrid = idx.search("council vote", k=3, lexical_weight=0.5)
    assert all(h.lexical == 0.0 for h in dense_only)
    top = hybrid[0]
    assert top.title == "Budget passes" and top.lexical == 1.0
    assert top.score == pytest.approx(0.5 * top.dense + 0.5 * top.lexical)


def test_model_mismatch_is_a_clear_error(tmp_path, hash_embedder):
    make(tmp_path, hash_embedder, name="model-a").add_articles(articles())
    with pytest.raises(IndexMismatch, match="model-a.*rebuild"):
        make(tmp_path, hash_embedder, name="model-b")


def store_folder(path):
    return path / (path / "CURRENT").read_text().strip()


def test_truncated_file_names_the_file_and_the_fix(tmp_path, hash_embedder):
    idx = make(tmp_path, hash_embedder)
    idx.add_articles(articles())
    vectors = store_folder(tmp_path) / "vectors.f16"
    vectors.write_bytes(vectors.read_bytes()[:50])
    with pytest.raises(IndexCorrupt, match="vectors.f16.*rebuild"):
        make(tmp_path, hash_embedder)


def test_rebuild_recovers_a_damaged_index_and_keeps_the_original_until_done(tmp_path, hash_embedder):
    idx = make(tmp_path, hash_embedder)
    ids = idx.add_articles(articles())
    old = store_folder(tmp_path)
    (old / "vectors.f16").write_bytes(b"garbage")
    fresh = make(tmp_path, hash_embedder, fresh=True)
    assert old.exists()
    fresh.rebuild(read_articles(tmp_path))
    assert not old.exists()
    assert set(make(tmp_path, hash_embedder).articles) == set(ids)


def test_disk_full_while_appending_vectors_keeps_previous_index(tmp_path, hash_embedder, monkeypatch):
    idx = make(tmp_path, hash_embedder)
    first = idx.add_articles(articles()[:2])
    size = (store_folder(tmp_path) / "vectors.f16").stat().st_size

    def full(self, slots, vectors, lists):
        with open(self.path, "ab") as f:
            f.write(b"\0" * 100)  # a torn partial write, then the error
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(vectors_mod.VectorFile, "append", full)
    with pytest.raises(OSError):
        idx.add_articles(articles()[2:])
    monkeypatch.undo()
    reopened = make(tmp_path, hash_embedder)
    assert set(reopened.articles) == set(first)
    assert reopened.search("football striker final", k=1)  # readable; the torn tail is ignored
    assert set(reopened.add_articles(articles()[2:])) == {articles()[2].id}  # and truncated by the next writer
    assert (store_folder(tmp_path) / "vectors.f16").stat().st_size > size
    again = make(tmp_path, hash_embedder)
    assert again.search("Who scored in the football final?", k=1)[0].title == "Team wins final"
    assert np.allclose(again.vectors, hash_embedder([p.text for p in again.passages]), atol=2e-3)


def test_failed_sql_commit_keeps_previous_index(tmp_path, hash_embedder, monkeypatch):
    from qa_bot.store import Store

    idx = make(tmp_path, hash_embedder)
    first = idx.add_articles(articles()[:2])

    def broken(db, **values):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Store, "set_meta", staticmethod(broken))
    with pytest.raises(OSError):
        idx.add_articles(articles()[2:])
    monkeypatch.undo()
    reopened = make(tmp_path, hash_embedder)
    assert set(reopened.articles) == set(first) and len(reopened.passages) == len(reopened.vectors)


def test_adding_writes_only_the_new_rows(tmp_path, hash_embedder):
    idx = make(tmp_path, hash_embedder)
    idx.add_articles(articles()[:2])
    folder = store_folder(tmp_path)
    before = (folder / "vectors.f16").read_bytes()
    added = idx.add_articles(articles()[2:])
    after = (folder / "vectors.f16").read_bytes()
    assert after.startswith(before)
    assert len(after) - len(before) == len(idx.passages_of(added[0])) * 2 * hash_embedder.dim
    assert store_folder(tmp_path) == folder  # no new generation folder


def test_approximate_index_above_threshold(tmp_path, hash_embedder):
    idx = make(tmp_path, hash_embedder, ann_threshold=2)
    ids = idx.add_articles(articles())
    assert (store_folder(tmp_path) / "centroids.npy").exists()
    reopened = make(tmp_path, hash_embedder, ann_threshold=2)
    assert reopened.search("football striker", k=1)[0].title == "Team wins final"
    reopened.remove(ids[2])
    assert all(h.title != "Team wins final" for h in reopened.search("football striker", k=5))
    more = make_article("A second storm flooded the harbour on Friday. Boats sank and the ferry stopped.",
                        title="Harbour flood")
    reopened.add_articles([more])
    again = make(tmp_path, hash_embedder, ann_threshold=2)
    assert again.search("harbour ferry boats", k=1)[0].title == "Harbour flood"
    assert ids[2] not in again.articles


def test_vectors_align_with_passages(tmp_path, hash_embedder):
    idx = make(tmp_path, hash_embedder)
    idx.add_articles(articles())
    expected = hash_embedder([p.text for p in idx.passages])
    assert np.allclose(idx.vectors, expected, atol=2e-3)  # stored as float16


def test_another_process_changes_are_picked_up_by_refresh(tmp_path, hash_embedder):
    reader = make(tmp_path, hash_embedder)
    writer = make(tmp_path, hash_embedder)
    ids = writer.add_articles(articles()[:2])
    reader.refresh()
    assert set(reader.articles) == set(ids)
    writer.remove(ids[0])
    writer.add_articles(articles()[2:])
    reader.refresh()
    assert ids[0] not in reader.articles
    titles = [h.title for h in reader.search("storm coast power football", k=10)]
    assert "Storm hits coast" not in titles and "Team wins final" in titles


def test_questions_are_answered_while_an_ingest_embeds(tmp_path, hash_embedder):
    started, release = threading.Event(), threading.Event()

    class SlowEmbedder:
        dim = hash_embedder.dim

        def __call__(self, texts, progress=False):
            if not isinstance(texts, str):
                started.set()
                release.wait(30)
            return hash_embedder(texts)

    idx = make(tmp_path, hash_embedder)
    idx.add_articles(articles()[:2])
    slow = make(tmp_path, SlowEmbedder())
    writer = threading.Thread(target=slow.add_articles, args=(articles()[2:],))
    writer.start()
    assert started.wait(30)
    hits = slow.search("council budget vote", k=1)  # would deadlock if the embedder held the lock
    assert hits[0].title == "Budget passes"
    assert idx.add_articles([make_article("Another short story about the river festival on Saturday.",
                                          title="Festival")])  # another writer is not blocked either
    release.set()
    writer.join(30)
    assert len(make(tmp_path, hash_embedder).articles) == 4


def _legacy_index(path, embedder, model="hash"):
    """An index in the layout before the SQLite store (CURRENT -> gen-000003)."""
    gen = path / "gen-000003"
    gen.mkdir(parents=True)
    arts = articles()
    passages = [p for a in arts for p in chunk_article(a.id, a.text, 120, 300, 1)]
    files = {
        "articles.json": json.dumps([a.to_dict() for a in arts]).encode(),
        "passages.json": json.dumps([[p.article_id, p.start, p.end] for p in passages]).encode(),
        "dense.faiss": b"not read by the migration",
    }
    for name, data in files.items():
        (gen / name).write_bytes(data)
    np.save(gen / "vectors.npy", embedder([p.text for p in passages]))
    manifest = {"format": 1, "embed_model": model, "dim": embedder.dim,
                "files": {p.name: p.stat().st_size for p in gen.iterdir()}}
    (gen / "manifest.json").write_text(json.dumps(manifest))
    (path / "CURRENT").write_text("gen-000003\n")
    return [a.id for a in arts]


def test_old_layout_is_migrated_once(tmp_path, hash_embedder, caplog):
    ids = _legacy_index(tmp_path, hash_embedder)
    with caplog.at_level("WARNING"):
        idx = make(tmp_path, hash_embedder)
    assert "Migrating" in caplog.text
    assert set(idx.articles) == set(ids)
    assert not (tmp_path / "gen-000003").exists()
    assert (tmp_path / "CURRENT").read_text().startswith("store-")
    assert make(tmp_path, hash_embedder).search("Who scored in the football final?", k=1)[0].title == "Team wins final"


def test_old_layout_with_another_model_is_not_migrated(tmp_path, hash_embedder):
    _legacy_index(tmp_path, hash_embedder, model="model-a")
    with pytest.raises(IndexMismatch, match="model-a.*rebuild"):
        make(tmp_path, hash_embedder, name="model-b")
    assert (tmp_path / "gen-000003").exists()


def test_damaged_old_layout_names_the_file_and_rebuild_reads_it(tmp_path, hash_embedder):
    ids = _legacy_index(tmp_path, hash_embedder)
    (tmp_path / "gen-000003" / "passages.json").write_text('{"broken": ')
    with pytest.raises(IndexCorrupt, match="passages.json.*rebuild"):
        make(tmp_path, hash_embedder)
    make(tmp_path, hash_embedder, fresh=True).rebuild(read_articles(tmp_path))
    assert set(make(tmp_path, hash_embedder).articles) == set(ids)
    assert not (tmp_path / "gen-000003").exists()


def test_passage_text_matches_offsets_with_non_ascii_text(tmp_path, hash_embedder):
    idx = make(tmp_path, hash_embedder)
    text = ("Café owners in Zürich said “prices rose” 🌍 again. " * 3 + "The mayor’s office denied it on Friday. ") * 4
    [aid] = idx.add_articles([make_article(text, title="Zürich cafés")])
    article = idx.articles[aid]
    for hit in idx.search("mayor office denied Friday", k=4):
        assert article.text[hit.passage.start:hit.passage.end] == hit.passage.text
    assert [p.text for p in idx.passages_of(aid)] == [article.text[p.start:p.end] for p in idx.passages_of(aid)]


def _vocab_counts(idx):
    db = idx._state.store.db
    kept = dict(db.execute("SELECT term, docs FROM term_docs"))
    fts = dict(db.execute("SELECT term, doc FROM passages_vocab"))
    return kept, fts


def test_document_frequencies_follow_adds_and_removes(tmp_path, hash_embedder):
    """BM25's document frequencies are kept in a keyed table equal to what the FTS index counts."""
    idx = make(tmp_path, hash_embedder)
    ids = idx.add_articles(articles())
    kept, fts = _vocab_counts(idx)
    assert kept == fts and kept["storm"] >= 1
    idx.remove(ids[0])
    kept, fts = _vocab_counts(idx)
    assert kept == fts and "storm" not in kept
    assert idx._state.store.term_stats("storm budget")[2] == {"storm": 0, "budget": fts["budget"]}


def test_store_without_document_frequencies_gets_them_on_open(tmp_path, hash_embedder):
    idx = make(tmp_path, hash_embedder)
    idx.add_articles(articles())
    before = idx.search("Who scored in the football final?", k=2)
    idx._state.store.db.execute("DROP TABLE term_docs")  # as an index written by the previous release
    again = make(tmp_path, hash_embedder)
    kept, fts = _vocab_counts(again)
    assert kept == fts and kept
    after = again.search("Who scored in the football final?", k=2)
    assert [(h.passage.article_id, round(h.score, 6)) for h in after] == \
        [(h.passage.article_id, round(h.score, 6)) for h in before]
