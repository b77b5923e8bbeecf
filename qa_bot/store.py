"""Articles, passages and their BM25 index in one SQLite database (WAL mode, FTS5).

One row per article (its full text and word count), one row per passage (offsets into that text, and the row of its
vector in the vector file: ``pid``), and a contentless FTS5 table over the passages' tokens, so adding
or removing an article writes only its own rows. Readers see the last committed transaction and never
wait for a writer (WAL); every write is one transaction, so a crash keeps all of it or none of it.
Lists of articles read a covering index of their metadata (``articles_listing``), never the texts.
"""
from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .articles import Article, ArticleInfo
from .chunking import Passage
from .lexical import bm25_scores, fts_query, fts_terms, tokenize

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles(
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL, text TEXT NOT NULL,
    source TEXT NOT NULL, date TEXT NOT NULL, added TEXT NOT NULL, words INTEGER);
CREATE TABLE IF NOT EXISTS passages(
    pid INTEGER PRIMARY KEY, article INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS passages_article ON passages(article);
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
    terms, content='', tokenize='unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE IF NOT EXISTS passages_vocab USING fts5vocab(passages_fts, row);
CREATE TABLE IF NOT EXISTS removed(seq INTEGER PRIMARY KEY AUTOINCREMENT, pid INTEGER NOT NULL);
"""
# BM25's document frequencies, kept with each add and remove (fts5vocab walks whole posting lists)
TERM_DOCS = "CREATE TABLE IF NOT EXISTS term_docs(term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID"
# Article lists (a page, a filter, a count) read this index only: the texts are never touched.
LISTING_INDEX = "CREATE INDEX IF NOT EXISTS articles_listing ON articles(seq, title, source, date, added, words, id)"
_INFO = "id, title, source, date, added, words"
DB_FILE = "library.sqlite"


@dataclass
class NewPassage:
    """A passage about to be stored: its article, offsets and vector row."""

    article_id: str
    start: int
    end: int
    text: str
    pid: int


class Store:
    """The SQLite side of an index folder; one connection per thread."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / DB_FILE
        self._local = threading.local()
        self._cache: OrderedDict[str, Article] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.articles = ArticleMap(self)

    # ---- connections and metadata -----------------------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # a commit survives power loss, not only kill -9
            conn.execute("PRAGMA busy_timeout=60000")
            conn.create_function("casefold", 1, _casefold, deterministic=True)
            self._local.conn = conn
        return conn

    def create(self, meta: dict[str, str]) -> None:
        """Make the tables (in a new folder) and write the metadata."""
        self.db.executescript(f"{SCHEMA}{TERM_DOCS};\n{LISTING_INDEX};")
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [(k, str(v)) for k, v in meta.items()])

    def upgrade(self) -> bool:
        """Give a store of an earlier version what lists need (word counts, the listing index) and BM25's
        document frequencies (``term_docs``: fts5vocab counts a term by walking its whole posting list,
        18 ms of a query at 100,000 articles); once, in one transaction. True if anything was added."""
        have = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE name IN "
                                              "('articles_listing', 'term_docs')")}
        if len(have) == 2:
            return False
        with self.transaction() as db:
            if "term_docs" not in have:
                log.warning("Counting the terms of %s (one time)", self.path)
                db.execute(TERM_DOCS)
                db.execute("INSERT INTO term_docs SELECT term, doc FROM passages_vocab")
            if "articles_listing" in have:
                return True
            columns = {row[1] for row in db.execute("PRAGMA table_info(articles)")}
            if "words" not in columns:
                log.warning("Adding word counts and a listing index to %s (one time)", self.path)
                db.execute("ALTER TABLE articles ADD COLUMN words INTEGER")
                _fill_words(db)
            db.execute(LISTING_INDEX)
        return True

    def meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM meta"))

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def transaction(self) -> "_Transaction":
        return _Transaction(self.db)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the same committed state."""
        db = self.db
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    # ---- reading ----------------------------------------------------------------------------------
    def article(self, article_id: str) -> Article | None:
        with self._cache_lock:
            if article_id in self._cache:
                self._cache.move_to_end(article_id)
                return self._cache[article_id]
        row = self.db.execute("SELECT id, title, text, source, date, added FROM articles WHERE id = ?",
                              (article_id,)).fetchone()
        if row is None:
            return None
        article = Article(*row)
        with self._cache_lock:
            self._cache[article_id] = article
            while len(self._cache) > 64:
                self._cache.popitem(last=False)
        return article

    # ---- lists of articles (metadata only) ------------------------------------------------------------
    def article_page(self, limit: int, offset: int = 0, query: str = "",
                     newest_first: bool = True) -> list[ArticleInfo]:
        """``limit`` articles from ``offset`` in the order they were added (newest first by default),
        optionally only those whose title or source contains ``query`` (ignoring case)."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must be >= 0")
        where, args = _matching(query)
        order = "DESC" if newest_first else "ASC"
        rows = self.db.execute(f"SELECT {_INFO} FROM articles INDEXED BY articles_listing{where} "
                               f"ORDER BY seq {order} LIMIT ? OFFSET ?", [*args, limit, offset]).fetchall()
        return self._infos(rows)

    def ids_before(self, seq: int | None, limit: int) -> list[tuple[int, str]]:
        """Up to ``limit`` (seq, id) of the articles added before ``seq`` (from the newest when None), newest
        first. Keyset paging: a page deep in the library costs what the first one does (OFFSET walks every
        row before it), and an article added meanwhile does not shift the pages."""
        return self.db.execute("SELECT seq, id FROM articles INDEXED BY articles_listing WHERE seq < ? "
                               "ORDER BY seq DESC LIMIT ?", (2**63 - 1 if seq is None else seq, limit)).fetchall()

    def article_count(self, query: str = "") -> int:
        """How many articles there are (whose title or source contains ``query``)."""
        where, args = _matching(query)
        if not where:
            return self.db.execute("SELECT count(*) FROM articles").fetchone()[0]
        return self.db.execute(f"SELECT count(*) FROM articles INDEXED BY articles_listing{where}", args).fetchone()[0]

    def infos(self, ids: Iterable[str]) -> dict[str, ArticleInfo]:
        """id -> metadata of those of ``ids`` that are stored."""
        ids = list(dict.fromkeys(ids))
        rows = []
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            rows += self.db.execute(f"SELECT {_INFO} FROM articles WHERE id IN ({','.join('?' * len(chunk))})",
                                    chunk).fetchall()
        return {info.id: info for info in self._infos(rows)}

    def _infos(self, rows: Sequence[tuple]) -> list[ArticleInfo]:
        """ArticleInfo of (id, title, source, date, added, words) rows; a missing word count (a row written
        by an earlier version meanwhile) is counted from that article's text."""
        unknown = [row[0] for row in rows if row[5] is None]
        counted = {}
        if unknown:
            marks = ",".join("?" * len(unknown))
            counted = {aid: len(text.split()) for aid, text in
                       self.db.execute(f"SELECT id, text FROM articles WHERE id IN ({marks})", unknown)}
        return [ArticleInfo(aid, title, source, date, added, counted.get(aid, 0) if words is None else words)
                for aid, title, source, date, added, words in rows]

    def known(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are stored."""
        ids = list(ids)
        found: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self.db.execute(f"SELECT id FROM articles WHERE id IN ({marks})", chunk))
        return found

    def passages_of(self, article_id: str) -> list[tuple[int, Passage]]:
        """(pid, passage) of an article in reading order."""
        article = self.article(article_id)
        if article is None:
            return []
        rows = self.db.execute("SELECT p.pid, p.start, p.end FROM passages p JOIN articles a ON p.article = a.seq "
                               "WHERE a.id = ? ORDER BY p.pid", (article_id,)).fetchall()
        return [(pid, Passage(article_id, s, e, article.text[s:e])) for pid, s, e in rows]

    def passages(self, pids: Sequence[int]) -> dict[int, tuple[Passage, str]]:
        """pid -> (passage, article title) for the given passage rows."""
        out: dict[int, tuple[Passage, str]] = {}
        if not pids:
            return out
        marks = ",".join("?" * len(pids))
        # substr counts characters (code points) of TEXT, as Python's offsets do; 1-based
        rows = self.db.execute(f"SELECT p.pid, a.id, p.start, p.end, substr(a.text, p.start + 1, p.end - p.start), "
                               f"a.title FROM passages p JOIN articles a ON p.article = a.seq WHERE p.pid IN ({marks})",
                               list(pids)).fetchall()
        for pid, aid, s, e, text, title in rows:
            out[pid] = (Passage(aid, s, e, text), title)
        return out

    def pids_of(self, article_ids: Iterable[str]) -> list[int]:
        ids = list(article_ids)
        marks = ",".join("?" * len(ids))
        return [r[0] for r in self.db.execute(
            f"SELECT p.pid FROM passages p JOIN articles a ON p.article = a.seq WHERE a.id IN ({marks})", ids)]

    def live_pids(self) -> np.ndarray:
        """Every stored passage id, ascending."""
        return np.fromiter((r[0] for r in self.db.execute("SELECT pid FROM passages ORDER BY pid")), dtype=np.int64)

    def dead(self, after: int = 0) -> tuple[np.ndarray, int]:
        """Removed passage ids (after removal number ``after``) and the last removal number."""
        rows = self.db.execute("SELECT seq, pid FROM removed WHERE seq > ? ORDER BY seq", (after,)).fetchall()
        return np.asarray([pid for _, pid in rows], dtype=np.int64), (rows[-1][0] if rows else after)

    def passage_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM passages").fetchone()[0]

    def lexical_candidates(self, query: str, limit: int, pids: Sequence[int] | None = None,
                           stats: tuple[int, float, dict[str, int]] | None = None) -> list[int]:
        """The ``limit`` passages FTS5 ranks best for ``query``'s selective words (optionally among
        ``pids``). Words in more than ~0.5 % of the passages are left out here, so a query never walks
        a huge posting list; they still count in :meth:`bm25`, which scores the candidates."""
        n, _, df = stats or self.term_stats(query)
        cap = 4000 + n // 200
        selective = [t for t, d in df.items() if 0 < d <= cap]
        if not selective:
            return []
        sql = "SELECT rowid FROM passages_fts WHERE passages_fts MATCH ?"
        args: list = [fts_query(" ".join(selective))]
        if pids is not None and len(pids) <= 30_000:  # SQLite allows 32,766 parameters
            sql += f" AND rowid IN ({','.join('?' * len(pids))})"
            args += list(pids)
        elif pids is not None:
            wanted = set(pids)
            rows = self.db.execute(sql + " ORDER BY rank", args)
            return [pid for (pid,) in rows if pid in wanted][:limit]
        sql += " ORDER BY rank LIMIT ?"
        args.append(limit)
        return [r[0] for r in self.db.execute(sql, args)]

    def term_stats(self, query: str) -> tuple[int, float, dict[str, int]]:
        """(passage count, mean passage length in tokens, document frequency of each query token)."""
        meta = dict(self.db.execute("SELECT key, value FROM meta WHERE key IN ('passages', 'tokens')"))
        n = int(meta.get("passages", 0))
        avg = int(meta.get("tokens", 0)) / n if n else 0.0
        df = {}
        for term in dict.fromkeys(tokenize(query)):
            row = self.db.execute("SELECT docs FROM term_docs WHERE term = ?", (term,)).fetchone()
            df[term] = row[0] if row else 0
        return n, avg, df

    def bm25(self, query: str, texts: Mapping[int, str],
             stats: tuple[int, float, dict[str, int]] | None = None) -> dict[int, float]:
        """pid -> BM25 score (as Okapi BM25 over the whole library) of the given passages."""
        n, avg, df = stats or self.term_stats(query)
        return bm25_scores(query, texts, n, avg, df)

    # ---- writing (inside a transaction) -----------------------------------------------------------
    @staticmethod
    def insert(db: sqlite3.Connection, articles: Sequence[Article], passages: Sequence[NewPassage]) -> None:
        if not articles:
            return
        db.executemany("INSERT INTO articles(id, title, text, source, date, added, words) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [(a.id, a.title, a.text, a.source, a.date, a.added, a.words) for a in articles])
        seqs = dict(db.execute(f"SELECT id, seq FROM articles WHERE id IN ({','.join('?' * len(articles))})",
                               [a.id for a in articles]))
        db.executemany("INSERT INTO passages(pid, article, start, end) VALUES (?, ?, ?, ?)",
                       [(p.pid, seqs[p.article_id], p.start, p.end) for p in passages])
        terms = [fts_terms(p.text) for p in passages]
        db.executemany("INSERT INTO passages_fts(rowid, terms) VALUES (?, ?)",
                       [(p.pid, t) for p, t in zip(passages, terms)])
        _count(db, passages=len(passages), tokens=sum(len(t.split()) for t in terms))
        _count_terms(db, terms, +1)

    def delete(self, db: sqlite3.Connection, article_id: str) -> list[int]:
        """Delete an article, its passages and their FTS rows; returns the freed pids."""
        article = self.article(article_id)
        rows = db.execute("SELECT p.pid, p.start, p.end FROM passages p JOIN articles a ON p.article = a.seq "
                          "WHERE a.id = ?", (article_id,)).fetchall()
        # a contentless FTS5 table forgets a row when given the exact terms it indexed for it
        terms = [fts_terms(article.text[s:e]) for _, s, e in rows]
        db.executemany("INSERT INTO passages_fts(passages_fts, rowid, terms) VALUES ('delete', ?, ?)",
                       [(pid, t) for (pid, _, _), t in zip(rows, terms)])
        _count(db, passages=-len(rows), tokens=-sum(len(t.split()) for t in terms))
        _count_terms(db, terms, -1)
        db.executemany("DELETE FROM passages WHERE pid = ?", [(pid,) for pid, _, _ in rows])
        db.executemany("INSERT INTO removed(pid) VALUES (?)", [(pid,) for pid, _, _ in rows])
        db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        with self._cache_lock:
            self._cache.pop(article_id, None)
        return [pid for pid, _, _ in rows]

    @staticmethod
    def set_meta(db: sqlite3.Connection, **values: object) -> None:
        db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [(k, str(v)) for k, v in values.items()])


def _casefold(text: str | None) -> str:
    return (text or "").casefold()


def _matching(query: str) -> tuple[str, list[str]]:
    """A WHERE clause (and its arguments) for titles or sources containing ``query`` literally, ignoring
    case. SQLite's LIKE ignores the case of ASCII letters only: a query with other letters ("ÉTÉ", "Öl")
    compares case-folded text instead (a Python call per row, so ASCII queries keep LIKE)."""
    query = (query or "").strip()
    if not query:
        return "", []
    if not query.isascii():
        folded = query.casefold()
        return " WHERE instr(casefold(title), ?) > 0 OR instr(casefold(source), ?) > 0", [folded, folded]
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return " WHERE title LIKE ? ESCAPE '\\' OR source LIKE ? ESCAPE '\\'", [pattern, pattern]


def _fill_words(db: sqlite3.Connection, batch: int = 500) -> None:
    """Count the words of every article (for a store made before word counts were kept)."""
    last = 0
    while rows := db.execute("SELECT seq, text FROM articles WHERE seq > ? ORDER BY seq LIMIT ?",
                             (last, batch)).fetchall():
        db.executemany("UPDATE articles SET words = ? WHERE seq = ?", [(len(text.split()), seq) for seq, text in rows])
        last = rows[-1][0]


def _count(db: sqlite3.Connection, **deltas: int) -> None:
    """Keep the running totals BM25 needs (passage count, tokens) in the same transaction."""
    db.executemany("UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = ?",
                   [(d, k) for k, d in deltas.items()])


def _count_terms(db: sqlite3.Connection, passages_terms: Sequence[str], sign: int) -> None:
    """Add (``sign`` +1) or take away (-1) the passages' distinct terms in the document frequencies."""
    docs = Counter(term for terms in passages_terms for term in set(terms.split()))
    if sign > 0:
        db.executemany("INSERT INTO term_docs VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET docs = docs + excluded.docs",
                       docs.items())
    else:
        db.executemany("UPDATE term_docs SET docs = docs - ? WHERE term = ?", [(n, t) for t, n in docs.items()])
        # only the terms touched: a scan for empty rows would read the whole vocabulary on every removal
        db.executemany("DELETE FROM term_docs WHERE term = ? AND docs <= 0", [(t,) for t in docs])


class _Transaction:
    """``with store.transaction() as db:`` — BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.conn = db

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


class ArticleMap(Mapping[str, Article]):
    """Read-only ``id -> Article`` view of the stored articles, read from SQLite on demand (a library
    of 100,000 articles does not fit in memory as Python strings)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getitem__(self, article_id: str) -> Article:
        article = self._store.article(article_id)
        if article is None:
            raise KeyError(article_id)
        return article

    def __contains__(self, article_id: object) -> bool:
        return isinstance(article_id, str) and self._store.db.execute(
            "SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is not None

    def __iter__(self) -> Iterator[str]:
        return (r[0] for r in self._store.db.execute("SELECT id FROM articles ORDER BY seq").fetchall())

    def __len__(self) -> int:
        return self._store.db.execute("SELECT count(*) FROM articles").fetchone()[0]

    def values(self) -> Iterator[Article]:  # type: ignore[override]
        """Every article, oldest first, streamed (one query, not one per article)."""
        cursor = self._store.db.execute("SELECT id, title, text, source, date, added FROM articles ORDER BY seq")
        return (Article(*row) for row in cursor)
