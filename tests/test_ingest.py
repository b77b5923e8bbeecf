"""Bulk import through Bot.ingest: streamed batches, duplicates skipped, unreadable files reported."""
import pytest

from qa_bot import Bot, IngestError


@pytest.fixture
def bot(tmp_path, hash_embedder):
    bot = Bot(index_dir=tmp_path / "index")
    bot._embedder = hash_embedder  # no model: the index only needs .dim and a call
    return bot


def _folder(path, count, bad=0):
    path.mkdir()
    for i in range(count):
        (path / f"story-{i}.txt").write_text(f"Story {i}\n\nThe council met on day {i} and voted on plan {i}. "
                                             f"Residents of district {i} welcomed the decision.", encoding="utf-8")
    for i in range(bad):
        (path / f"broken-{i}.txt").write_bytes(bytes(range(256)) * 4)
    return path


def test_folder_is_committed_in_batches_and_a_rerun_adds_nothing(bot, tmp_path):
    folder = _folder(tmp_path / "a", 7, bad=1)
    commits = []
    real_add = bot.index.add_articles
    bot.index.add_articles = lambda articles, progress=False: commits.append(len(articles)) or real_add(articles)
    added = bot.ingest(folder, batch=3)
    assert len(added) == 7 and commits == [3, 3, 1]
    assert bot.ingest(folder, batch=3) == []
    assert len(bot.articles()) == 7


def test_folder_without_readable_articles_is_an_error(bot, tmp_path):
    with pytest.raises(IngestError, match="No readable articles"):
        bot.ingest(_folder(tmp_path / "b", 0, bad=2))
