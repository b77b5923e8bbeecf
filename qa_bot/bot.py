"""The Bot: one object that ingests articles, answers questions and writes summaries."""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from .answering import Answer, Answerer, History
from .articles import Article, ArticleInfo, IngestError, make_article
from .config import Config
from .index import Compaction, PassageIndex
from .loaders import LoadLimits, is_url, iter_folder, load_file, load_url
from .summarizing import Summarizer, Summary

log = logging.getLogger(__name__)


class Bot:
    """Articles in, grounded answers and summaries out. Models load lazily, once, on first use.

    >>> bot = Bot(index_dir="indexes/default")
    >>> bot.ask("How many soldiers has Russia moved near Ukraine?").answer
    """

    def __init__(self, config: Config | None = None, models_from: "Bot | None" = None, **overrides: Any) -> None:
        """``models_from``: reuse another Bot's loaded models (one copy in memory, e.g. a second index)."""
        if config is None:
            config = Config.from_env(**overrides)
        elif overrides:
            config = config.replace(**overrides)
        self.config = config
        self._lock = threading.RLock()
        self._embedder = None
        self._index: PassageIndex | None = None
        self._generators: dict[str, Any] = {}
        self._ahead = None
        if models_from is not None:
            if models_from.config.embed_model != config.embed_model:
                raise ValueError("models_from must use the same embedding model")
            self._embedder = models_from.embedder
            self._generators = models_from._generators  # shared: models loaded later are shared too

    # ---- lazily built parts ---------------------------------------------------------------------
    @property
    def embedder(self):
        with self._lock:
            if self._embedder is None:
                from .embedder import Embedder

                self._embedder = Embedder(self.config.embed_model, dtype=self.config.embed_dtype)
            return self._embedder

    @property
    def index(self) -> PassageIndex:
        with self._lock:
            if self._index is None:
                self._index = self._open_index(fresh=False)
            return self._index

    def _open_index(self, fresh: bool) -> PassageIndex:
        c = self.config
        return PassageIndex(
            c.index_dir, self.embedder, c.embed_model, self.embedder.dim,
            chunk_chars=c.chunk_chars, chunk_max_chars=c.chunk_max_chars,
            overlap_sentences=c.chunk_overlap_sentences, ann_threshold=c.ann_threshold,
            compact_share=c.compact_dead_share,
            rebuild_hint=f"python -m qa_bot --index {c.index_dir} rebuild --embed-model {c.embed_model}",
            fresh=fresh,
        )

    def generator(self, name: str):
        """The engine running the generator ``name``, loading it on first use (one per model)."""
        with self._lock:
            if name not in self._generators:
                from .engines import make_engine

                self._generators[name] = make_engine(name, self.config)
            return self._generators[name]

    @property
    def answer_generator(self):
        return self.generator(self.config.answer_model)

    @property
    def summary_generator(self):
        return self.generator(self.config.generator)

    @property
    def answerer(self) -> Answerer:
        return Answerer(self.index, self.answer_generator, self.embedder, self.config)

    @property
    def summarizer(self) -> Summarizer:
        folder = self.config.summary_cache_dir or Path(self.config.cache_dir) / "summaries"
        return Summarizer(self.summary_generator, folder, input_tokens=self.config.summary_input_tokens)

    def prepare(self) -> None:
        """Load (and on first use prepare) every model this configuration uses."""
        _ = self.embedder, self.answer_generator, self.summary_generator

    # ---- articles -------------------------------------------------------------------------------
    @property
    def limits(self) -> LoadLimits:
        c = self.config
        return LoadLimits(c.max_file_bytes, c.max_article_chars, c.url_timeout, c.url_max_bytes, c.allow_private_urls)

    def load(self, source: str | Path) -> list[Article]:
        """Articles from a file, a folder or a URL (nothing is indexed yet)."""
        path = Path(source)
        if not is_url(str(source)) and path.is_dir():
            articles, problems = [], []
            for file in iter_folder(path):
                try:
                    articles.append(load_file(file, self.limits))
                except IngestError as exc:
                    problems.append(f"{file.name}: {exc}")
                    log.warning("Skipping %s: %s", file, exc)
            if not articles:
                raise IngestError(f"No readable articles in {path}" + (f" ({'; '.join(problems)})" if problems else ""))
            return articles
        return [self._load_one(source)]

    def _load_one(self, source: str | Path) -> Article:
        """One article from a URL or a file."""
        return load_url(source, self.limits) if isinstance(source, str) and is_url(source) else \
            load_file(Path(source), self.limits)

    def ingest(self, sources: str | Path | Sequence[str | Path], progress: bool = False,
               batch: int = 64) -> list[str]:
        """Index files, folders or URLs; returns the ids of newly added articles (duplicates skipped).

        Files are streamed: read, embedded and committed ``batch`` articles at a time, so memory stays
        bounded, questions are answered meanwhile, an interrupted import keeps every committed batch,
        and running it again skips those (already indexed articles are not embedded again).
        """
        if batch < 1:
            raise ValueError("batch must be >= 1")
        items = [sources] if isinstance(sources, (str, Path)) else list(sources)
        units: list[tuple[str | Path, Path | None]] = []  # (file or URL, the folder it comes from)
        for source in items:
            if isinstance(source, str) and is_url(source):
                units.append((source, None))
            elif Path(source).is_dir():
                files = list(iter_folder(Path(source)))
                if not files:
                    raise IngestError(f"No readable articles in {source}")
                units += [(f, Path(source)) for f in files]
            else:
                units.append((Path(source), None))
        from tqdm.auto import tqdm

        bar = tqdm(total=len(units), desc="ingesting", unit="article", disable=not progress or len(units) < 2)
        added: list[str] = []
        pending: list[Article] = []
        loaded_from: dict[Path, int] = {}
        problems: dict[Path, list[str]] = {}
        try:
            for n, (unit, folder) in enumerate(units, 1):
                try:
                    pending.append(self._load_one(unit))
                    if folder is not None:
                        loaded_from[folder] = loaded_from.get(folder, 0) + 1
                except IngestError as exc:
                    if folder is None:
                        raise
                    problems.setdefault(folder, []).append(f"{Path(unit).name}: {exc}")
                    log.warning("Skipping %s: %s", unit, exc)
                if len(pending) >= batch or n == len(units):
                    added += self.add_articles(pending)
                    bar.update(n - bar.n)
                    bar.set_postfix(added=len(added), refresh=False)
                    pending = []
        finally:
            bar.close()
        for folder, issues in problems.items():
            if not loaded_from.get(folder):
                raise IngestError(f"No readable articles in {folder} ({'; '.join(issues)})")
        return added

    def ingest_text(self, text: str, title: str = "", source: str = "pasted text") -> list[str]:
        """Index raw text as one article."""
        article = make_article(text, title=title, source=source, max_chars=self.config.max_article_chars)
        return self.add_articles([article])

    def add_articles(self, articles: Sequence[Article], progress: bool = False) -> list[str]:
        added = self.index.add_articles(articles, progress=progress)
        if self._ahead is not None and added:
            self._ahead.submit(added)
        return added

    def work_ahead(self) -> None:
        """From now on, do in the background what makes later requests fast, giving way to users:
        read new articles into the answer model (``read_ahead_tokens``: answers about them then start
        within about a second) and write their short summaries (``summarize_ahead``: "Summarise" is
        then instant). For long-running servers; articles already indexed are queued newest first."""
        from .ahead import Job, WorkAhead

        c = self.config
        jobs = []
        if c.read_ahead_tokens:
            jobs.append(Job("reading", lambda aid: self.answerer.read_ahead(aid), lambda: self.answer_generator))
        if c.summarize_ahead:
            jobs.append(Job("summary", self._summary_ahead, lambda: self.summary_generator))
        with self._lock:
            if self._ahead is not None or not jobs:
                return
            self._ahead = WorkAhead(jobs)
        # kept prefixes are bounded by kv_cache_mb: read ahead only the newest articles that fit
        per_token = self.answer_generator.kv_bytes_per_token
        budget = c.kv_cache_mb * 2**20 // per_token if c.read_ahead_tokens and per_token else 0
        fitting = []
        for article in self.newest_articles(budget // 64 + 1) if budget else ():  # articles of 64+ tokens
            budget -= len(article.text) // 4  # about 4 characters per token
            if budget < 0:
                break
            fitting.append(article.id)
        self._ahead.submit(fitting, ["reading"])
        if c.summarize_ahead:
            self._ahead.submit(self.index.article_ids(), ["summary"])

    def _summary_ahead(self, article_id: str) -> bool:
        article = self.index.articles.get(article_id)
        if article is None:  # removed meanwhile
            return True
        for _ in self.summarizer.stream_one(article, "short", background=True):  # a cached one returns at once
            pass  # raises Preempted when a user needs the model
        return True

    def remove(self, article_ids: str | Iterable[str]) -> list[str]:
        """Remove articles by id; returns those that were present. Compacts the vector file by itself when
        removed passages' rows exceed ``compact_dead_share`` of it."""
        return self.index.remove(article_ids)

    def compact(self) -> Compaction | None:
        """Drop removed passages' rows from the vector file now (copies the live rows; no re-embedding)."""
        return self.index.compact()

    def articles(self) -> list[Article]:
        """Every indexed article with its text, oldest first. Loads the whole library: for summarising all
        of it and for tools; lists use :meth:`list_articles`."""
        self.index.refresh()
        return list(self.index.articles.values())

    def article_count(self, query: str = "") -> int:
        """How many articles the library holds (whose title or source contains ``query``)."""
        self.index.refresh()
        return self.index.article_count(query)

    def list_articles(self, limit: int = 50, offset: int = 0, query: str = "",
                      newest_first: bool = True) -> list[ArticleInfo]:
        """A page of the library without the texts: ``limit`` articles from ``offset``, most recently added
        first (or oldest first), optionally only those whose title or source contains ``query``."""
        self.index.refresh()
        return self.index.article_page(limit, offset, query, newest_first)

    def article_infos(self, ids: Iterable[str]) -> dict[str, ArticleInfo]:
        """id -> metadata of those of ``ids`` in the library (unknown ids are left out)."""
        return self.index.article_infos(ids)

    def titles(self, ids: Iterable[str]) -> dict[str, str]:
        """id -> title of those of ``ids`` in the library."""
        return {i: info.title for i, info in self.article_infos(ids).items()}

    def get_articles(self, ids: Iterable[str]) -> list[Article]:
        """The articles (with their texts) of ``ids`` that are in the library, in the order given."""
        found = (self.index.articles.get(i) for i in dict.fromkeys(ids))
        return [a for a in found if a is not None]

    def newest_articles(self, count: int) -> Iterator[Article]:
        """The ``count`` most recently added articles with their texts, newest first, read one at a time."""
        for info in self.list_articles(count):
            article = self.index.articles.get(info.id)
            if article is not None:
                yield article

    def find_article(self, topic: str) -> Article | None:
        """The article a phrase like "the Biden Putin call" refers to, if any is relevant enough."""
        hits = self.index.search(topic, 1, None, self.config.hybrid_weight)
        if not hits or hits[0].dense < self.config.min_relevance:
            return None
        return self.index.articles.get(hits[0].passage.article_id)

    def ensure_seeded(self) -> None:
        """Index ``seeds/`` when the index does not exist yet, so a new user gets answers at once."""
        if not (Path(self.config.index_dir) / "CURRENT").exists() and Path(self.config.seeds_dir).is_dir():
            log.info("No index in %s yet: indexing %s", self.config.index_dir, self.config.seeds_dir)
            self.ingest(self.config.seeds_dir)

    def rebuild(self, progress: bool = False) -> int:
        """Re-embed every article (after changing the embedding model or on a damaged index)."""
        from .index import read_articles

        articles = read_articles(self.config.index_dir)
        with self._lock:
            self._index = self._open_index(fresh=True)
        return self._index.rebuild(articles, progress=progress)

    # ---- questions and summaries -----------------------------------------------------------------
    def _check_question(self, question: str) -> str:
        question = (question or "").strip()
        if not question:
            raise ValueError("Please type a question.")
        if len(question) > self.config.max_question_chars:
            raise ValueError(f"The question is {len(question):,} characters long; the limit is "
                             f"{self.config.max_question_chars:,}. Please shorten it.")
        return question

    def ask(self, question: str, history: History | None = None,
            article_ids: Iterable[str] | None = None) -> Answer:
        """A short grounded answer with its sources, or an abstention (``found=False``)."""
        return self.answerer(self._check_question(question), history, article_ids)

    def ask_stream(self, question: str, history: History | None = None,
                   article_ids: Iterable[str] | None = None) -> Iterator[str | Answer]:
        """Answer text pieces as generated, then the final :class:`Answer`."""
        yield from self.answerer.stream(self._check_question(question), history, article_ids)

    def _pick(self, article_ids: Iterable[str] | None) -> list[Article]:
        """The articles a summary covers: the newest (None), all of them (["all"]) or those named."""
        if self.article_count() == 0:
            raise ValueError("There are no articles yet: add one first.")
        if article_ids is None:
            newest = list(self.newest_articles(1))
            if not newest:
                raise ValueError("There are no articles yet: add one first.")
            return newest
        ids = list(article_ids)
        if ids == ["all"]:
            return self.articles()
        by_id = {a.id: a for a in self.get_articles(ids)}
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise ValueError(f"Unknown article id(s): {', '.join(unknown)}")
        return [by_id[i] for i in ids]

    def summarize(self, article_ids: Iterable[str] | None = None, length: str = "short") -> Summary:
        """Summary of the given articles (default: the most recently added; ``["all"]``: all)."""
        return self.summarizer(self._pick(article_ids), length)

    def summarize_stream(self, article_ids: Iterable[str] | None = None,
                         length: str = "short") -> Iterator[str | Summary]:
        yield from self.summarizer.stream(self._pick(article_ids), length)
