"""The persisted passage index: articles and passages in SQLite (BM25 by FTS5), vectors in FAISS.

Layout of an index folder::

    CURRENT                 name of the live store folder (replaced atomically)
    store-000001/
        library.sqlite      articles, passages, FTS5 index, metadata (embedding model, sizes); WAL mode
        vectors.f16         passage vectors, one float16 row per passage, append-only
        lists.i32           each row's IVF list
        centroids.npy       IVF centroids, once the library is above the ANN threshold
        (vectors.gN.f16, lists.gN.i32, pids.gN.i64: the same after the N-th compaction)
    .lock                   taken by a writer for its commit only

Adding or removing an article writes only its own rows: vectors are appended and fsynced first, then
one SQLite transaction records the article, its passages, their FTS rows and the new vector count. A
crash before the commit leaves an uncommitted vector tail that is never read and is truncated by the
next writer; SQLite keeps a committed transaction whole. ``rebuild`` and the one-time migration of the
older layout (``CURRENT`` naming a ``gen-NNNNNN`` folder) write a new store folder, then swap CURRENT.
Removed passages' vector rows are dropped by a compaction (``compact``, or by itself once they exceed
``compact_share`` of the file): the live rows are copied into the next generation's files, then one
SQLite transaction names them; a crash before it leaves the previous generation in use.

Readers never wait for the embedder: new articles are chunked and embedded before the lock is taken.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import re
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from . import legacy
from .articles import Article, ArticleInfo
from .chunking import Passage, chunk_article
from .store import DB_FILE, NewPassage, Store
from .vectors import CENTROID_FILE, DenseIndex, VectorFile, generation_files, train_centroids

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
_STORE = re.compile(r"^store-(\d{6})$")


class IndexError(RuntimeError):  # noqa: A001 - our own, module-scoped
    """Base class for index problems the user must act on."""


class IndexCorrupt(IndexError):
    """A file of the index is missing, truncated or unreadable."""


class IndexMismatch(IndexError):
    """The index was built with another embedding model."""


@dataclass
class Hit:
    """One retrieved passage with its fused and component scores."""

    passage: Passage
    title: str
    score: float
    dense: float
    lexical: float


@dataclass
class Compaction:
    """What a compaction did: vector rows before and after, and the vector file's size before and after."""

    rows_before: int
    rows_after: int
    bytes_before: int
    bytes_after: int

    @property
    def dropped(self) -> int:
        return self.rows_before - self.rows_after


@dataclass
class _Open:
    """One opened store folder and what is known of it in memory."""

    folder: Path
    store: Store
    vectors: VectorFile
    dense: DenseIndex
    slots: int  # committed vector rows
    version: int  # commits so far
    removed_seq: int  # last removal seen

    @property
    def name(self) -> str:
        return self.folder.name


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(str(path), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _set_current(directory: Path, name: str) -> None:
    tmp = directory / "CURRENT.tmp"
    with open(tmp, "w") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, directory / "CURRENT")
    _fsync_dir(directory)


def read_articles(directory: str | Path) -> list[Article]:
    """The stored articles, whatever the state of the other files (for rebuilds); either layout."""
    directory = Path(directory)
    current = directory / "CURRENT"
    name = current.read_text().strip() if current.is_file() else ""
    if _STORE.match(name):
        try:
            store = Store(directory / name)
            if store.path.is_file():
                articles = list(store.articles.values())
                store.close()
                return articles
        except sqlite3.DatabaseError:
            log.warning("Cannot read articles from %s", directory / name / DB_FILE)
    candidates = ([directory / name] if legacy.GEN.match(name) else []) + (legacy.generations(directory)
                                                                           if directory.is_dir() else [])
    for gen in candidates:
        try:
            return legacy.read_articles(gen)
        except legacy.LegacyProblem:
            log.warning("Cannot read articles from %s", gen)
    raise IndexCorrupt(f"No readable articles in {directory}; ingest the articles again.")


class PassageIndex:
    """Articles, their passages and a FAISS + BM25 index over them, saved incrementally on disk."""

    def __init__(
        self,
        directory: str | Path,
        embedder: Callable[..., np.ndarray],
        embed_model: str,
        dim: int,
        *,
        chunk_chars: int = 700,
        chunk_max_chars: int = 1200,
        overlap_sentences: int = 1,
        ann_threshold: int = 1_000_000,
        rebuild_hint: str = "",
        fresh: bool = False,
        commit_every: int = 256,
        compact_share: float = 0.3,
    ) -> None:
        """Open (or later create) the index in ``directory``; ``fresh`` does not open what is saved
        there (to rebuild a damaged index: the old store stays until the new one is complete).
        ``compact_share``: a removal compacts the vector file once dead rows exceed this share (0: never)."""
        if dim <= 0:
            raise ValueError("dim must be positive")
        self.directory = Path(directory)
        self.embedder = embedder
        self.embed_model = embed_model
        self.dim = dim
        self.chunk_chars = chunk_chars
        self.chunk_max_chars = chunk_max_chars
        self.overlap_sentences = overlap_sentences
        self.ann_threshold = ann_threshold
        self.commit_every = max(1, commit_every)
        self.compact_share = compact_share
        self.rebuild_hint = rebuild_hint or f"python -m qa_bot --index {self.directory} rebuild"
        self._state: _Open | None = None
        self._mem = threading.RLock()  # the in-memory FAISS index: searches vs. a commit applying itself
        self._write = threading.RLock()  # one writer (or sync) at a time in this process
        self._fresh = fresh
        self._lock_depth = 0
        if not fresh:
            self._sync()

    # ---- opening and following other processes ----------------------------------------------------
    def _corrupt(self, path: Path, why: str) -> IndexCorrupt:
        return IndexCorrupt(f"Index file {path} is {why}. Rebuild the index with: {self.rebuild_hint} "
                            "(the damaged index is kept until the rebuild succeeds).")

    def _current_name(self) -> str:
        current = self.directory / "CURRENT"
        if not current.is_file():
            return ""
        name = current.read_text().strip()
        if not (_STORE.match(name) or legacy.GEN.match(name)):
            raise IndexCorrupt(f"{current} is damaged. Rebuild the index with: {self.rebuild_hint}")
        return name

    def _check_meta(self, meta: Mapping[str, str], where: Path) -> None:
        model, dim = meta.get("embed_model"), meta.get("dim")
        if model != self.embed_model or str(dim) != str(self.dim):
            raise IndexMismatch(
                f"The index in {self.directory} was built with the embedding model {model!r} ({dim} dimensions), "
                f"not {self.embed_model!r}. Use --embed-model {model}, or re-embed it with: {self.rebuild_hint}")

    def _open(self, folder: Path) -> _Open:
        db_path = folder / DB_FILE
        if not db_path.is_file():
            raise self._corrupt(db_path, "missing")
        store = Store(folder)
        try:
            self._check_meta(store.meta(), folder)
            store.upgrade()
        except (sqlite3.DatabaseError, KeyError, ValueError):
            store.close()
            raise self._corrupt(db_path, "corrupt") from None
        for attempt in range(5):
            try:
                with store.snapshot():  # the metadata and the removed pids of one commit
                    meta = store.meta()
                    slots, version = int(meta["slots"]), int(meta["version"])
                    dead, removed_seq = store.dead()
            except (sqlite3.DatabaseError, KeyError, ValueError):
                store.close()
                raise self._corrupt(db_path, "corrupt") from None
            try:
                vectors = self._vector_file(folder, meta, slots)
                break
            except FileNotFoundError as exc:  # compacted by another process meanwhile: read its commit
                if attempt == 4 or store.meta().get("vectors_gen") == meta.get("vectors_gen"):
                    raise self._corrupt(Path(exc.filename), "missing") from None
        centroids = None
        if meta.get("dense") == "ivf":
            try:
                centroids = np.load(folder / CENTROID_FILE, allow_pickle=False)
            except (OSError, ValueError, EOFError):
                raise self._corrupt(folder / CENTROID_FILE, "missing or corrupt") from None
        dense = DenseIndex.load(vectors, self.dim, slots, dead, centroids)
        log.info("Opened index %s: %d passages (%s)", folder, len(dense), dense.kind)
        return _Open(folder, store, vectors, dense, slots, version, removed_seq)

    def _vector_file(self, folder: Path, meta: Mapping[str, str], slots: int) -> VectorFile:
        """The vector files the metadata names, open for reading and checked against ``slots``."""
        gen, compacted = int(meta.get("vectors_gen", 0)), int(meta.get("compacted_rows", 0))
        pids = None
        if gen:
            path = VectorFile(folder, self.dim, gen).pids_path
            pids = np.fromfile(path, dtype=np.int64)  # FileNotFoundError if missing
            if len(pids) != compacted:
                raise self._corrupt(path, f"truncated ({len(pids)} rows, expected {compacted})")
        vectors = VectorFile(folder, self.dim, gen, int(meta.get("pid_shift", 0)), pids).open()
        for path, width in ((vectors.path, vectors.row_bytes), (vectors.lists_path, 4)):
            size = os.fstat(vectors._fd("vectors" if path == vectors.path else "lists")).st_size
            if size < slots * width:
                raise self._corrupt(path, f"truncated ({size // width} rows, expected {slots})")
        return vectors

    def _sync(self) -> None:
        """Adopt what other processes committed: a new store folder (rebuild, migration) or new commits."""
        with self._write:
            name = self._current_name()
            state = self._state
            if not name:
                return
            if legacy.GEN.match(name):
                self._migrate(self.directory / name)
                name, state = self._current_name(), self._state
            if state is None or state.name != name:
                opened = self._open(self.directory / name)
                with self._mem:
                    self._state = opened
                if state is not None:
                    state.store.close()
                self._fresh = False
                return
            try:
                with state.store.snapshot():
                    meta = state.store.meta()
                    version = int(meta["version"])
                    if version == state.version:
                        return
                    removed, seq = state.store.dead(state.removed_seq)
                    slots = int(meta["slots"])
            except (sqlite3.DatabaseError, KeyError, ValueError):
                raise self._corrupt(state.store.path, "corrupt") from None
            if (meta.get("dense") != ("ivf" if state.dense.kind == "ivf" else "flat")
                    or int(meta.get("vectors_gen", 0)) != state.vectors.gen):  # switched to IVF, or compacted
                opened = self._open(state.folder)
                with self._mem:
                    self._state = opened
                return
            rows = np.arange(state.slots, slots, dtype=np.int64)
            keep = ~np.isin(state.vectors.pids_of(rows), removed)
            vectors = state.vectors.read_rows(rows[keep]).astype(np.float16)
            lists = state.vectors.lists(state.slots, slots - state.slots)[keep]
            with self._mem:
                state.dense.add(state.vectors.pids_of(rows[keep]), vectors, lists)
                state.dense.remove(removed)
                state.slots, state.version, state.removed_seq = slots, version, seq

    def refresh(self) -> None:
        """Pick up what another process saved (at once if this process is writing: its writer does)."""
        if not self._write.acquire(blocking=False):
            return
        try:
            self._sync()
        finally:
            self._write.release()

    # ---- writing ----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Exclusive across threads and processes, for a commit only; catches up with others first."""
        with self._write, self._file_lock():
            if not self._fresh:
                self._sync()
            yield

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        """The folder's ``.lock`` (reentrant within this object: flock would block on itself)."""
        with self._write:
            if self._lock_depth:
                self._lock_depth += 1
                try:
                    yield
                finally:
                    self._lock_depth -= 1
                return
            self.directory.mkdir(parents=True, exist_ok=True)
            with open(self.directory / ".lock", "a+") as lock_file:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                self._lock_depth = 1
                try:
                    yield
                finally:
                    self._lock_depth = 0
                    fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _next_folder(self) -> Path:
        """A temporary folder for a new store (stale ones of dead writers are removed: we hold the lock)."""
        for stale in self.directory.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        numbers = [int(m.group(1)) for p in self.directory.iterdir() if (m := _STORE.match(p.name))]
        name = f"store-{(max(numbers) if numbers else 0) + 1:06d}"
        tmp = self.directory / f".tmp-{name}-{os.getpid()}"
        tmp.mkdir()
        return tmp

    def _new_store(self, tmp: Path) -> _Open:
        store = Store(tmp)
        store.create({
            "format": FORMAT_VERSION, "embed_model": self.embed_model, "dim": self.dim, "dense": "flat",
            "chunk_chars": self.chunk_chars, "chunk_max_chars": self.chunk_max_chars,
            "overlap_sentences": self.overlap_sentences, "slots": 0, "version": 0, "passages": 0, "tokens": 0,
        })
        VectorFile(tmp, self.dim).path.touch()
        VectorFile(tmp, self.dim).lists_path.touch()
        return _Open(tmp, store, VectorFile(tmp, self.dim), DenseIndex(self.dim), 0, 0, 0)

    def _publish(self, state: _Open) -> _Open:
        """Rename a completed temporary store into place, make it CURRENT, delete the older ones."""
        state.store.close()
        _fsync_dir(state.folder)
        final = self.directory / state.folder.name.split("-", 1)[1].rsplit("-", 1)[0]
        os.replace(state.folder, final)
        _set_current(self.directory, final.name)
        for old in self.directory.iterdir():
            if old.is_dir() and old != final and (_STORE.match(old.name) or legacy.GEN.match(old.name)):
                shutil.rmtree(old, ignore_errors=True)
        opened = self._open(final)
        with self._mem:
            previous, self._state = self._state, opened
        if previous is not None and previous.folder != final:
            previous.store.close()
        self._fresh = False
        return opened

    def _create_if_missing(self) -> _Open:
        if self._state is None:
            self._publish(self._new_store(self._next_folder()))
        assert self._state is not None
        return self._state

    def _migrate(self, gen: Path) -> None:
        """One-time conversion of the older generation layout into a store (vectors kept, not re-embedded)."""
        try:
            self._check_meta(legacy.read_manifest(gen), gen)
        except legacy.LegacyProblem as exc:
            raise self._corrupt(exc.path, exc.why) from None
        with self._file_lock():
            if self._current_name() != gen.name:
                return  # another process migrated it meanwhile
            try:
                old = legacy.read_generation(gen, self.dim)
            except legacy.LegacyProblem as exc:
                raise self._corrupt(exc.path, exc.why) from None
            log.warning("Migrating the index in %s to the SQLite store (one time): %d articles, %d passages",
                        self.directory, len(old.articles), len(old.passages))
            state = self._new_store(self._next_folder())
            texts = {a.id: a.text for a in old.articles}
            passages = [Passage(aid, s, e, texts[aid][s:e]) for aid, s, e in old.passages]
            self._commit(state, old.articles, passages, old.vectors)
            self._publish(state)
            log.warning("Migrated the index in %s", self.directory)

    def _commit(self, state: _Open, articles: Sequence[Article], passages: Sequence[Passage],
                vectors: np.ndarray) -> None:
        """Append the vectors, then record everything in one transaction, then update memory."""
        n = len(passages)
        pids = state.vectors.pids_of(np.arange(state.slots, state.slots + n, dtype=np.int64))
        vectors16 = np.asarray(vectors, dtype=np.float16).reshape(n, self.dim)
        with self._mem:
            lists = state.dense.assign(vectors16)
        state.vectors.append(state.slots, vectors16, lists)
        rows = [NewPassage(p.article_id, p.start, p.end, p.text, int(pid)) for p, pid in zip(passages, pids)]
        try:
            with state.store.transaction() as db:
                state.store.insert(db, articles, rows)
                state.store.set_meta(db, slots=state.slots + n, version=state.version + 1)
        except sqlite3.OperationalError as exc:  # e.g. "database or disk is full": rolled back
            raise OSError(errno.EIO, f"Could not save to {state.store.path}: {exc} (the previous state is kept)") from exc
        with self._mem:
            state.dense.add(pids, vectors16, lists)
            state.slots += n
            state.version += 1
        if state.dense.kind == "flat" and len(state.dense) > self.ann_threshold:
            try:
                self._to_ivf(state)
            except (OSError, sqlite3.OperationalError) as exc:  # the batch is saved; search stays exact
                log.warning("Could not switch %s to an IVF index (%s); searching exactly for now", state.folder, exc)

    def _to_ivf(self, state: _Open) -> None:
        """Switch a library that outgrew exact search to IVF (once: trains, assigns every passage)."""
        live = state.store.live_pids()
        centroids = train_centroids(state.vectors, live, self.dim)
        ivf = DenseIndex(self.dim, centroids)
        lists = np.full(state.slots, -1, dtype=np.int64)
        for first, block, _ in state.vectors.chunks(state.slots):
            lists[first:first + len(block)] = ivf.assign(block)
        tmp = state.folder / (CENTROID_FILE + ".tmp")
        with open(tmp, "wb") as f:
            np.save(f, centroids, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, state.folder / CENTROID_FILE)
        state.vectors.replace_lists(lists)
        with state.store.transaction() as db:
            state.store.set_meta(db, dense="ivf", version=state.version + 1)
        dead, _ = state.store.dead()
        ivf = DenseIndex.load(state.vectors, self.dim, state.slots, dead, centroids)
        with self._mem:
            state.dense = ivf
            state.version += 1
        log.info("Switched to an IVF index (%d lists) over %d passages", len(centroids), len(live))

    def _chunk(self, article: Article) -> list[Passage]:
        return chunk_article(article.id, article.text, self.chunk_chars, self.chunk_max_chars, self.overlap_sentences)

    def _embed(self, passages: Sequence[Passage]) -> np.ndarray:
        if not passages:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self.embedder([p.text for p in passages]), dtype=np.float32).reshape(len(passages), self.dim)

    def add_articles(self, articles: Sequence[Article], progress: bool = False) -> list[str]:
        """Chunk, embed and add new articles (committed every ``commit_every``); returns the ids added.

        Embedding happens outside the lock: questions are answered meanwhile."""
        return self._add(articles, progress, target=None)

    def _add(self, articles: Sequence[Article], progress: bool, target: _Open | None) -> list[str]:
        unique = list({a.id: a for a in articles}.values())
        state = target or self._state
        if state is not None and unique:
            known = state.store.known(a.id for a in unique)
            unique = [a for a in unique if a.id not in known]
        if not unique:
            return []
        bar = None
        if progress and len(unique) > 1:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(unique), desc="indexing", unit="article")
        added: list[str] = []
        try:
            for start in range(0, len(unique), self.commit_every):
                batch = unique[start:start + self.commit_every]
                chunks = {a.id: self._chunk(a) for a in batch}
                vectors = self._embed([p for a in batch for p in chunks[a.id]])
                added += self._commit_batch(batch, chunks, vectors, target)
                if bar is not None:
                    bar.update(len(batch))
        finally:
            if bar is not None:
                bar.close()
        return added

    def _commit_batch(self, batch: Sequence[Article], chunks: dict[str, list[Passage]], vectors: np.ndarray,
                      target: _Open | None) -> list[str]:
        if target is not None:
            self._commit(target, batch, [p for a in batch for p in chunks[a.id]], vectors)
            return [a.id for a in batch]
        with self._writing():
            state = self._create_if_missing()
            known = state.store.known(a.id for a in batch)  # another writer may have added some meanwhile
            keep = [a for a in batch if a.id not in known]
            if not keep:
                return []
            rows, offset = [], 0
            for a in batch:
                n = len(chunks[a.id])
                if a.id not in known:
                    rows.extend(range(offset, offset + n))
                offset += n
            self._commit(state, keep, [p for a in keep for p in chunks[a.id]], vectors[rows])
            return [a.id for a in keep]

    def remove(self, article_ids: str | Iterable[str]) -> list[str]:
        """Remove articles (and their passages) by id; returns the ids that were present."""
        ids = [article_ids] if isinstance(article_ids, str) else list(dict.fromkeys(article_ids))
        with self._writing():
            state = self._state
            if state is None:
                return []
            known = state.store.known(ids)
            present = [i for i in ids if i in known]
            if not present:
                return []
            with state.store.transaction() as db:
                freed = [pid for aid in present for pid in state.store.delete(db, aid)]
                state.store.set_meta(db, version=state.version + 1)
            with self._mem:
                state.dense.remove(freed)
                state.version += 1
                state.removed_seq = state.store.dead(state.removed_seq)[1]
            if self.compact_share and self._dead_rows(state) > self.compact_share * state.slots:
                try:
                    self._compact(state)
                except (OSError, sqlite3.Error) as exc:  # the removal is saved; the rows stay until next time
                    log.warning("Could not compact the vectors in %s (%s); they stay until next time", state.folder, exc)
            return present

    @staticmethod
    def _dead_rows(state: _Open) -> int:
        """Rows of removed passages in the vector file (committed rows minus live passages)."""
        return state.slots - int(state.store.meta()["passages"])

    def compact(self) -> Compaction | None:
        """Drop removed passages' rows from the vector file (copies the live rows once: O(live rows), no
        re-embedding); None without an index. Crash-safe: the previous files stay in use until the new
        ones are complete and committed."""
        with self._writing():
            state = self._state
            return self._compact(state) if state is not None else None

    def _compact(self, state: _Open) -> Compaction:
        old = state.vectors
        size = old.path.stat().st_size
        for gen, files in generation_files(state.folder).items():  # leftovers of an interrupted compaction
            if gen != old.gen:
                for path in files:
                    path.unlink(missing_ok=True)
        dead, _ = state.store.dead()
        if not self._dead_rows(state):
            return Compaction(state.slots, state.slots, size, size)
        new = old.write_compacted(state.slots, dead)
        rows = len(new.compacted)
        _fsync_dir(state.folder)
        try:
            with state.store.transaction() as db:
                db.execute("DELETE FROM removed")  # none of them has a row any more
                state.store.set_meta(db, vectors_gen=new.gen, pid_shift=new.shift, compacted_rows=rows, slots=rows,
                                     version=state.version + 1)
        except BaseException:
            for path in new.files():
                path.unlink(missing_ok=True)
            raise
        opened = _Open(state.folder, state.store, new.open(), state.dense, rows, state.version + 1, state.removed_seq)
        with self._mem:
            if self._state is state:
                self._state = opened
        for path in old.files():  # readers elsewhere keep theirs open until they adopt the new generation
            path.unlink(missing_ok=True)
        _fsync_dir(state.folder)
        log.info("Compacted the vectors in %s: %d rows -> %d (%d removed passages' rows dropped)",
                 state.folder, state.slots, rows, state.slots - rows)
        return Compaction(state.slots, rows, size, new.path.stat().st_size)

    def rebuild(self, articles: Sequence[Article], progress: bool = False) -> int:
        """Replace the whole index by ``articles`` re-chunked and re-embedded with the current settings
        (into a new store folder: the old one stays readable until the new one is complete)."""
        with self._writing():
            state = self._new_store(self._next_folder())
            try:
                self._add(articles, progress, target=state)
            except BaseException:
                state.store.close()
                shutil.rmtree(state.folder, ignore_errors=True)
                raise
            opened = self._publish(state)
        return len(opened.store.articles)

    # ---- reading ----------------------------------------------------------------------------------
    def article_page(self, limit: int, offset: int = 0, query: str = "",
                     newest_first: bool = True) -> list[ArticleInfo]:
        """A page of article metadata, newest first (see :meth:`Store.article_page`); no texts are read."""
        state = self._state
        return state.store.article_page(limit, offset, query, newest_first) if state is not None else []

    def article_ids(self, page: int = 1000) -> Iterator[str]:
        """Every article id, most recently added first, read ``page`` ids at a time (no texts)."""
        before = None
        while (state := self._state) is not None and (rows := state.store.ids_before(before, page)):
            yield from (article_id for _, article_id in rows)
            before = rows[-1][0]

    def article_count(self, query: str = "") -> int:
        """Number of articles (whose title or source contains ``query``)."""
        state = self._state
        return state.store.article_count(query) if state is not None else 0

    def article_infos(self, ids: Iterable[str]) -> dict[str, ArticleInfo]:
        """id -> metadata of the stored ones among ``ids``."""
        state = self._state
        return state.store.infos(ids) if state is not None else {}

    @property
    def articles(self) -> Mapping[str, Article]:
        """``id -> Article`` (read from SQLite on demand)."""
        state = self._state
        return state.store.articles if state is not None else {}

    @property
    def generation(self) -> str:
        """Changes with every commit (for callers checking that nothing changed)."""
        state = self._state
        return f"{state.name}:{state.version}" if state is not None else ""

    @property
    def passages(self) -> list[Passage]:
        """Every passage in storage order (loads them all: for tests and tools, not for serving)."""
        state = self._state
        if state is None:
            return []
        return [p for aid in state.store.articles for _, p in state.store.passages_of(aid)]

    @property
    def vectors(self) -> np.ndarray:
        """The vectors of :attr:`passages`, in the same order (float32; loads them all)."""
        state = self._state
        if state is None:
            return np.zeros((0, self.dim), dtype=np.float32)
        pids = [pid for aid in state.store.articles for pid, _ in state.store.passages_of(aid)]
        return state.vectors.read(pids)

    def __len__(self) -> int:
        state = self._state
        return state.store.passage_count() if state is not None else 0

    def passages_of(self, article_id: str) -> list[Passage]:
        """An article's passages in reading order."""
        state = self._state
        return [p for _, p in state.store.passages_of(article_id)] if state is not None else []

    def search(self, query: str, k: int = 4, article_ids: Iterable[str] | None = None,
               lexical_weight: float = 0.3) -> list[Hit]:
        """Top ``k`` passages by fused dense + BM25 score, optionally within some articles."""
        state = self._state
        if state is None or not query.strip():
            return []
        qvec = np.asarray(self.embedder(query), dtype=np.float32).reshape(-1)
        n_cand = max(4 * k, 20)
        within: list[int] | None = None
        if article_ids is not None:
            within = state.store.pids_of(article_ids)
            if not within:
                return []
            sims = state.vectors.read(within) @ qvec
            top = np.argsort(-sims)[:n_cand]
            dense = {within[t]: float(sims[t]) for t in top}
        else:
            with self._mem:
                dense = state.dense.search(qvec, n_cand)
            if not dense:
                return []
        candidates = set(dense)
        stats = state.store.term_stats(query) if lexical_weight > 0 else None
        if stats is not None:
            if within is not None and len(within) <= 300:
                candidates.update(within)  # few: score them all
            else:
                candidates.update(state.store.lexical_candidates(query, n_cand, within, stats))
        found = state.store.passages(list(candidates))
        lexical = state.store.bm25(query, {pid: p.text for pid, (p, _) in found.items()}, stats) if stats else {}
        if within is not None and len(within) <= 300:  # keep the lexical top n_cand, as for a library search
            top = set(sorted(lexical, key=lexical.get, reverse=True)[:n_cand]) | set(dense)
            found = {pid: v for pid, v in found.items() if pid in top}
        missing = [p for p in found if p not in dense]
        if missing:
            dense.update(zip(missing, (state.vectors.read(missing) @ qvec).tolist()))
        lex_max = max((lexical.get(pid, 0.0) for pid in found), default=0.0) or 1.0
        hits = []
        for pid, (passage, title) in found.items():
            lex = lexical.get(pid, 0.0) / lex_max
            hits.append(Hit(passage, title, (1 - lexical_weight) * dense[pid] + lexical_weight * lex, dense[pid], lex))
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:k]
