"""Paged article lists: a page of metadata (newest first, offset/limit, a title/source filter), counts and
titles come from SQLite's listing index, never from the articles' texts; every caller (Bot, UI panel, API,
CLI, /healthz, example questions) uses them. Real stores on disk, stand-in models."""
from __future__ import annotations

import itertools
import json
import re
import sqlite3

import httpx
import pytest

from conftest import HashEmbedder
from qa_bot.articles import make_article
from ui_helpers import running_ui, stub_bot

STORIES = [  # (title, source) in the order they are added
    ("Harbour ferry returns", "harbour.txt"),
    ("Council passes budget", "https://news.example/council"),
    ("Storm closes schools", "storm.md"),
    ("100% turnout in Ost_by", "pasted text"),  # LIKE's wildcards, meant literally
    ("Night trains to the Alps", "trains.html"),
    ("Zoo welcomes twin otters", "pasted text"),
    ("Harbour festival dates", "festival.txt"),
]


def _text(n: int, title: str) -> str:
    return f"{title}\n\n" + " ".join(f"Sentence {k} of report {n} about {title.lower()}." for k in range(n + 3))


@pytest.fixture
def bot(tmp_path):
    """A real Bot over a store on disk (stand-in models) holding the pelican article and STORIES."""
    bot = stub_bot(tmp_path)
    for n, (title, source) in enumerate(STORIES):
        bot.add_articles([make_article(_text(n, title), title=title, source=source)])
    return bot


@pytest.fixture
def no_texts(bot, monkeypatch):
    """Fails the test if anything reads an article's text: no Article is built from the store, and no SQL
    statement names the text column. Yields the statements run."""
    from qa_bot import store as store_mod

    def refuse(*args, **kwargs):
        raise AssertionError("an article's text was loaded")

    monkeypatch.setattr(store_mod, "Article", refuse)
    monkeypatch.setattr(type(bot), "articles", refuse)
    statements: list[str] = []
    bot.index._state.store.db.set_trace_callback(statements.append)
    yield statements
    bot.index._state.store.db.set_trace_callback(None)
    assert not [s for s in statements if re.search(r"\btext\b", s)], statements


def titles(infos) -> list[str]:
    return [i.title for i in infos]


def test_pages_come_newest_first_with_offset_and_limit(bot, no_texts):
    newest = [t for t, _ in reversed(STORIES)]
    assert titles(bot.list_articles(3)) == newest[:3]
    assert titles(bot.list_articles(3, 3)) == newest[3:6]
    assert titles(bot.list_articles(50, 6)) == newest[6:] + ["Pelican count at Lake Orm"]
    assert bot.list_articles(5, 100) == [] and bot.list_articles(0) == []
    assert titles(bot.list_articles(2, 1, newest_first=False)) == [STORIES[0][0], STORIES[1][0]]
    assert bot.article_count() == len(STORIES) + 1


def test_page_metadata_matches_the_articles(bot):
    pages = bot.list_articles(100)
    full = {a.id: a for a in bot.articles()}
    assert {i.id for i in pages} == set(full)
    for info in pages:
        assert info == full[info.id].info()  # title, source, date, added and the word count


def test_filter_matches_title_or_source_literally(bot, no_texts):
    assert titles(bot.list_articles(10, query="harbour")) == ["Harbour festival dates", "Harbour ferry returns"]
    assert bot.article_count("HARBOUR") == 2
    assert titles(bot.list_articles(10, query="news.example")) == ["Council passes budget"]  # the source
    assert titles(bot.list_articles(10, query="100%")) == ["100% turnout in Ost_by"]
    assert bot.article_count("0%") == 1 and bot.article_count("t_b") == 1 and bot.article_count("%") == 1
    assert bot.article_count("_") == 1 and bot.article_count("Ost_") == 1 and bot.article_count("Os%") == 0
    assert titles(bot.list_articles(1, 1, query="harbour")) == ["Harbour ferry returns"]
    assert bot.list_articles(10, query="no such words") == [] and bot.article_count("no such words") == 0


def test_filter_ignores_the_case_of_letters_beyond_ascii(bot):
    """SQLite's LIKE folds ASCII letters only; "ÖRESUND" must still find "Öresund"."""
    bot.add_articles([make_article(_text(9, "Öresund bridge toll cut"), title="Öresund bridge toll cut",
                                   source="Straße.txt")])
    assert titles(bot.list_articles(10, query="ÖRESUND")) == ["Öresund bridge toll cut"]
    assert bot.article_count("öresund BRIDGE") == 1 and bot.article_count("STRASSE") == 0  # ASCII: LIKE
    assert bot.article_count("STRAẞE") == 1 and bot.article_count("ÖSTERSUND") == 0


def test_titles_and_infos_of_ids(bot, no_texts):
    page = bot.list_articles(2)
    wanted = [page[1].id, "nosuchid0000", page[0].id]
    assert bot.titles(wanted) == {page[1].id: page[1].title, page[0].id: page[0].title}
    assert bot.article_infos([]) == {}


def test_lists_read_the_listing_index_not_the_table(bot):
    store = bot.index._state.store
    for sql, args in (("SELECT id FROM articles INDEXED BY articles_listing ORDER BY seq DESC LIMIT 5", []),
                      ("SELECT count(*) FROM articles INDEXED BY articles_listing WHERE title LIKE ?", ["%a%"])):
        plan = " ".join(row[-1] for row in store.db.execute("EXPLAIN QUERY PLAN " + sql, args))
        assert "COVERING INDEX articles_listing" in plan, plan


def test_every_id_is_read_newest_first_by_keyset_pages(bot):
    """The background summariser walks the whole library a page at a time; pages follow the last id read
    (not an offset), so an article added meanwhile neither repeats nor skips one."""
    expected = [i.id for i in bot.list_articles(100)]
    ids = bot.index.article_ids(page=3)
    first = [next(ids) for _ in range(4)]
    bot.add_articles([make_article(_text(9, "Late edition"), title="Late edition", source="late.txt")])
    assert first + list(ids) == expected and len(expected) == len(STORIES) + 1


def test_a_store_of_the_earlier_layout_gets_word_counts_and_the_index_once(bot, tmp_path):
    from qa_bot.index import PassageIndex

    expected = {i.id: i.words for i in bot.list_articles(100)}
    path = bot.index._state.store.path
    bot.index._state.store.close()
    db = sqlite3.connect(path)
    db.executescript("DROP INDEX articles_listing; ALTER TABLE articles DROP COLUMN words;")
    db.close()
    index = PassageIndex(bot.config.index_dir, HashEmbedder(), bot.config.embed_model, HashEmbedder.dim)
    assert {i.id: i.words for i in index.article_page(100)} == expected
    # a row written without a word count (by an earlier version, meanwhile) is counted when listed
    newest = index.article_page(1)[0]
    index._state.store.db.execute("UPDATE articles SET words = NULL WHERE id = ?", (newest.id,))
    assert index.article_page(1)[0].words == newest.words


def test_library_panel_shows_a_page_and_finds_older_articles(bot, no_texts):
    from qa_bot.ui.service import Library
    from qa_bot.ui.views import _LibraryPanel

    panel = _LibraryPanel(Library(bot), page=3)
    html, scope, remove, finder = panel.views()
    assert "Showing the newest 3 of 8 articles" in html and html.count("<li") == 3
    assert [label for label, _ in scope["choices"]] == ["All articles", *[t for t, _ in reversed(STORIES)][:3]]
    assert len(remove["choices"]) == 3 and finder["visible"] is True

    oldest = bot.list_articles(1, newest_first=False)[0]
    html, scope, remove, _ = panel.views(oldest.id, "pelican")
    assert "1 of 8 articles match “pelican”" in html and "Pelican count at Lake Orm" in html
    assert scope["value"] == oldest.id and remove["choices"] == [("Pelican count at Lake Orm", oldest.id)]
    html, scope, _, _ = panel.views(oldest.id, "harbour")  # the chosen article stays in scope
    assert "2 of 8 articles match" in html and scope["value"] == oldest.id
    assert "No article matches “xyz”" in panel.views("all", "xyz")[0]
    status, pending, _ = panel.confirm_remove(oldest.id)
    assert pending == oldest.id and "Pelican count" in status


def test_small_library_lists_everything_without_a_filter_box(tmp_path):
    from qa_bot.ui.service import Library
    from qa_bot.ui.views import _LibraryPanel

    html, _, _, finder = _LibraryPanel(Library(stub_bot(tmp_path))).views()
    assert "1 article<" in html and finder["visible"] is False


def test_library_checks_page_inputs(bot):
    from qa_bot.ui.service import Library

    library = Library(bot)
    assert titles(library.list_articles("2", "1")) == titles(bot.list_articles(2, 1))
    for bad in ({"limit": -1}, {"limit": 1001}, {"offset": "x"}, {"limit": 2.5}):
        with pytest.raises(ValueError):
            library.list_articles(**bad)
    assert library.remove(bot.list_articles(1)[0].id)[0].title == STORIES[-1][0]
    assert library.count() == len(STORIES)


def test_example_questions_read_only_the_articles_they_need(seed_text):
    from qa_bot.examples import example_questions

    def never():
        raise AssertionError("read an article it did not need")
        yield

    questions = example_questions(itertools.chain([make_article(seed_text)], never()), count=2)
    assert questions == ["Who is Dmitry Peskov?", "Give me a short summary"]


def test_summary_of_the_latest_reads_only_that_article(bot, monkeypatch):
    monkeypatch.setattr(type(bot), "articles", lambda self: pytest.fail("loaded every article"))
    newest = bot.list_articles(1)[0]
    assert [a.id for a in bot._pick(None)] == [newest.id]
    assert [a.id for a in bot._pick([newest.id])] == [newest.id]
    with pytest.raises(ValueError, match="Unknown article"):
        bot._pick(["nosuchid0000"])


def test_api_pages_counts_and_healthz(bot):
    with running_ui(bot) as url, httpx.Client(base_url=url, timeout=30) as http:
        def call(name: str, data: list):
            event = http.post(f"/gradio_api/call/{name}", json={"data": data}).json()["event_id"]
            body = http.get(f"/gradio_api/call/{name}/{event}").text
            assert "event: complete" in body, body
            return json.loads(body.split("data: ", 1)[1].splitlines()[0])[0]

        everything = call("list_articles", [])  # as before: oldest first, every field but the text
        assert [a["title"] for a in everything] == ["Pelican count at Lake Orm", *[t for t, _ in STORIES]]
        assert set(everything[0]) == {"id", "title", "source", "date", "added", "words"}
        assert [a["title"] for a in call("list_articles", [2, 1])] == [STORIES[0][0], STORIES[1][0]]
        newest = call("list_articles", [2, 0, "harbour", True])
        assert [a["title"] for a in newest] == ["Harbour festival dates", "Harbour ferry returns"]
        assert call("count_articles", []) == {"articles": 8}
        assert call("count_articles", ["harbour"]) == {"articles": 2}
        assert http.get("/healthz").json()["articles"] == 8


def test_cli_list_pages(bot, capsys, monkeypatch):
    from qa_bot import cli
    from qa_bot.bot import Bot

    monkeypatch.setattr(Bot, "embedder", property(lambda self: HashEmbedder()))
    args = ["--index", str(bot.config.index_dir), "list"]
    assert cli.main(args + ["--limit", "2", "--offset", "1"]) == 0
    out, err = capsys.readouterr()
    assert [line.split("  ")[1] for line in out.splitlines()] == [STORIES[0][0], STORIES[1][0]]
    assert "2 of 8 shown" in err
    assert cli.main(args + ["--newest", "--filter", "harbour"]) == 0
    out, _ = capsys.readouterr()
    assert [line.split("  ")[1] for line in out.splitlines()] == ["Harbour festival dates", "Harbour ferry returns"]
    assert cli.main(args) == 0
    out, _ = capsys.readouterr()
    assert len(out.splitlines()) == 8 and "Pelican count at Lake Orm" in out.splitlines()[0]
