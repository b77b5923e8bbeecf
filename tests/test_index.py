import json

import numpy as np
import pytest

from qa_bot import index as index_mod
from qa_bot.articles import make_article
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


def test_truncated_file_names_the_file_and_the_fix(tmp_path, hash_embedder):
    idx = make(tmp_path, hash_embedder)
    idx.add_articles(articles())
    vectors = tmp_path / idx.generation / "vectors.npy"
    vectors.write_bytes(vectors.read_bytes()[:50])
    with pytest.raises(IndexCorrupt, match="vectors.npy.*rebuild"):
        make(tmp_path, hash_embedder)


def test_rebuild_recovers_a_damaged_index_and_keeps_the_original_until_done(tmp_path, hash_embedder):
    idx = make(tmp_path, hash_embedder)
    ids = idx.add_articles(articles())
    old = tmp_path / idx.generation
    (old / "dense.faiss").write_bytes(b"garbage")
    fresh = make(tmp_path, hash_embedder, fresh=True)
    assert old.exists()
    fresh.rebuild(read_articles(tmp_path))
    assert not old.exists()
    assert set(make(tmp_path, hash_embedder).articles) == set(ids)


def test_crash_mid_save_keeps_previous_index(tmp_path, hash_embedder, monkeypatch):
    idx = make(tmp_path, hash_embedder)
    first = idx.add_articles(articles()[:2])
    real_write = index_mod._write_bytes

    def failing_write(path, data):
        if path.name == "dense.faiss":
            raise OSError(28, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(index_mod, "_write_bytes", failing_write)
    with pytest.raises(OSError):
        idx.add_articles(articles()[2:])
    monkeypatch.setattr(index_mod, "_write_bytes", real_write)
    reopened = make(tmp_path, hash_embedder)
    assert set(reopened.articles) == set(first)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]


def test_approximate_index_above_threshold(tmp_path, hash_embedder):
    idx = make(tmp_path, hash_embedder, ann_threshold=2)
    idx.add_articles(articles())
    manifest = json.loads((tmp_path / idx.generation / "manifest.json").read_text())
    assert manifest["faiss"] == "IndexHNSWFlat"
    assert make(tmp_path, hash_embedder, ann_threshold=2).search("football striker", k=1)[0].title == "Team wins final"


def test_vectors_align_with_passages(tmp_path, hash_embedder):
    idx = make(tmp_path, hash_embedder)
    idx.add_articles(articles())
    expected = hash_embedder([p.text for p in idx.passages])
    assert np.allclose(idx.vectors, expected)
