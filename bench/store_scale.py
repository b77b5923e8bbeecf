"""Storage at scale: the cost of adding, removing, opening and searching as the library grows.

Builds a synthetic library of N articles (about 600 words, ~8 passages each) through the bulk path
(``PassageIndex.add_articles`` in batches), then measures in a fresh process, so nothing is warm but
the OS page cache: opening the index, memory after opening, hybrid search (top 4), adding one
article and removing one (storage work: the stub embedder takes microseconds) with the bytes the
process wrote for it (``wchar`` of /proc/self/io: WAL, FTS5 segments, vectors, checkpoints). Then
ingest speed with the real embedder on 200 articles, in a separate small index.

    python bench/store_scale.py --articles 10000 --stub-embedder --json bench/results/store_scale-10k.json

``--stub-embedder`` only replaces the embedder while building the big library; the ingest
measurement always uses the real one (``--skip-real`` leaves it out).
"""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python bench/store_scale.py

import numpy as np  # noqa: E402

from bench.common import current_rss_mb, machine_info, print_table, progress  # noqa: E402

DIM = 384
MODEL = "all-minilm-l6-v2"


# ---- synthetic articles and a stand-in embedder -------------------------------------------------
class Corpus:
    """Reproducible news-like articles: topic-flavoured Zipf vocabulary, 8-16 word sentences."""

    def __init__(self, seed: int = 0, vocab: int = 20_000, topics: int = 64) -> None:
        rng = np.random.default_rng(seed)
        letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
        self.words = ["".join(rng.choice(letters, size=int(n))) for n in rng.integers(3, 10, size=vocab)]
        zipf = 1.0 / np.arange(1, vocab + 1)
        self.topic_probs = []
        for _ in range(topics):
            p = zipf[rng.permutation(vocab)] * 0.4 + zipf * 0.6  # shared common words, topic-specific rest
            self.topic_probs.append(p / p.sum())
        self.topics = topics

    def article(self, i: int, words: int = 600):
        from qa_bot.articles import Article, article_id

        rng = np.random.default_rng(i)
        picks = rng.choice(len(self.words), size=words, p=self.topic_probs[i % self.topics])
        sentences, pos = [], 0
        while pos < words:
            n = int(rng.integers(8, 17))
            chunk = [self.words[w] for w in picks[pos:pos + n]]
            sentences.append(chunk[0].capitalize() + " " + " ".join(chunk[1:]) + ".")
            pos += n
        text = f"Story {i}\n\n" + " ".join(sentences)
        return Article(id=article_id(text), title=f"Story {i}", text=text, source="synthetic", date="")

    def question(self, i: int) -> str:
        rng = np.random.default_rng(10_000_000 + i)
        picks = rng.choice(len(self.words), size=6, p=self.topic_probs[i % self.topics])
        return "What did " + " ".join(self.words[w] for w in picks) + "?"


class StubEmbedder:
    """Instant stand-in: the sum of fixed random vectors of a passage's first 24 words, normalised."""

    dim = DIM

    def __init__(self) -> None:
        self.table = np.random.default_rng(1).standard_normal((8192, DIM)).astype(np.float32)

    def __call__(self, texts, progress: bool = False) -> np.ndarray:
        single = isinstance(texts, str)
        items = [texts] if single else list(texts)
        out = np.zeros((len(items), DIM), dtype=np.float32)
        for row, text in enumerate(items):
            keys = [zlib.crc32(w.encode()) & 8191 for w in text.lower().split()[:24]]
            out[row] = self.table[keys].sum(0) if keys else 0
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        return out[0] if single else out


def open_index(folder: Path, embedder, ann_threshold: int, **kw):
    from qa_bot.index import PassageIndex

    return PassageIndex(folder, embedder, MODEL, DIM, ann_threshold=ann_threshold, **kw)


# ---- building ----------------------------------------------------------------------------------
def build(folder: Path, n: int, corpus: Corpus, ann_threshold: int, batch: int) -> dict[str, float]:
    """Add articles 0..n-1 through the bulk path (resumes: existing ones are skipped)."""
    from tqdm import tqdm

    index = open_index(folder, StubEmbedder(), ann_threshold, commit_every=batch)
    have = len(index.articles)
    start = time.perf_counter()
    with tqdm(total=n, initial=have, desc="building", unit="article") as bar:
        for first in range(have, n, batch):
            added = index.add_articles([corpus.article(i) for i in range(first, min(n, first + batch))])
            bar.update(len(added))
    return {"build_s": time.perf_counter() - start, "built_articles": n - have}


# ---- measuring (in a fresh process) ------------------------------------------------------------
def _wchar() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    return 0


def measure(folder: Path, n: int, ann_threshold: int, queries: int, repeats: int) -> dict[str, Any]:
    corpus = Corpus()
    embedder = StubEmbedder()
    start = time.perf_counter()
    index = open_index(folder, embedder, ann_threshold)
    open_s = time.perf_counter() - start
    rss = current_rss_mb()
    passages = len(index)
    qs = [corpus.question(i) for i in range(queries)]
    for q in qs[:3]:
        embedder(q)  # warm the stub
    times = []
    for q in qs:
        t = time.perf_counter()
        hits = index.search(q, 4, None, 0.3)
        times.append(time.perf_counter() - t)
        assert hits, q
    recall = dense_recall(index, embedder, qs[:20]) if getattr(getattr(index, "_state", None), "dense", None) \
        is not None and index._state.dense.kind == "ivf" else None
    adds, removes, written = [], [], []
    for r in range(repeats):
        article = corpus.article(10_000_000 + r)  # outside the library
        w, t = _wchar(), time.perf_counter()
        assert index.add_articles([article]) == [article.id]
        adds.append(time.perf_counter() - t)
        written.append(_wchar() - w)
        victim = corpus.article((r * 7919) % n).id
        t = time.perf_counter()
        assert index.remove(victim) == [victim]
        removes.append(time.perf_counter() - t)
    for r in range(repeats):  # put the library back as it was
        index.remove(corpus.article(10_000_000 + r).id)
        index.add_articles([corpus.article((r * 7919) % n)])
    disk = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return {
        "articles": n, "passages": passages, "dense": getattr(getattr(index, "_state", None), "dense", None) and index._state.dense.kind or "legacy",
        "open_s": open_s, "rss_mb": rss,
        "search_p50_ms": 1000 * statistics.median(times), "search_p95_ms": 1000 * float(np.percentile(times, 95)),
        "add_one_s": statistics.median(adds), "remove_one_s": statistics.median(removes),
        "bytes_written_per_add": statistics.median(written), "disk_mb": disk / 2**20,
        "dense_recall_at_20": recall,
    }


def dense_recall(index, embedder, questions: Sequence[str], k: int = 20) -> float:
    """Share of the exact top-k passages (brute force over the vector file) that the IVF search finds."""
    state = index._state
    live = state.store.live_pids()
    rows = state.vectors.rows(live)  # ascending as the pids are (rows differ from pids after a compaction)
    q = np.stack([embedder(x) for x in questions]).astype(np.float32)
    best = [np.zeros((0,)) for _ in questions]
    best_ids = [np.zeros((0,), dtype=np.int64) for _ in questions]
    for first, block, _ in state.vectors.chunks(state.slots):
        lo, hi = np.searchsorted(rows, [first, first + len(block)])
        ids = live[lo:hi]
        sims = q @ block[rows[lo:hi] - first].astype(np.float32).T
        for i in range(len(questions)):
            s = np.concatenate([best[i], sims[i]])
            d = np.concatenate([best_ids[i], ids])
            top = np.argsort(-s)[:k]
            best[i], best_ids[i] = s[top], d[top]
    found = [len(set(state.dense.search(q[i], k)) & set(best_ids[i].tolist())) for i in range(len(questions))]
    return sum(found) / (k * len(questions))


def news_articles(count: int) -> list:
    """Real news text for the embedder (wordpieces per passage matter): CNN/DailyMail, then XSum, from the
    benchmark data folder; synthetic articles if it is missing."""
    from bench.common import DEFAULT_DATA_DIR
    from qa_bot.articles import make_article

    out = []
    for name in ("cnn_dm_dev.jsonl", "xsum_dev.jsonl"):
        path = DEFAULT_DATA_DIR / name
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if len(out) < count:
                    out.append(make_article(json.loads(line)["article"], source=name))
    if len(out) < count:
        corpus = Corpus(seed=1)
        return [corpus.article(20_000_000 + i) for i in range(count)]
    return out


def real_ingest(articles: int, batch_sizes: Sequence[int]) -> dict[str, Any]:
    """Passages/s of add_articles with the real embedder into a new index, per embedding batch size."""
    from qa_bot.embedder import Embedder

    items = news_articles(articles)
    out: dict[str, Any] = {"text": "news (CNN/DailyMail + XSum dev)" if len(items) == articles else "synthetic"}
    for bs in batch_sizes:
        embedder = Embedder(MODEL, batch_size=bs)
        embedder(["warm up"] * 4)
        folder = Path(tempfile.mkdtemp(prefix="store_scale_real_"))
        try:
            index = open_index(folder, embedder, 10**9, commit_every=64)
            start = time.perf_counter()
            index.add_articles(items)
            seconds = time.perf_counter() - start
            out[str(bs)] = {"passages": len(index), "seconds": seconds, "passages_per_s": len(index) / seconds}
            progress(f"real embedder, batch {bs}: {len(index) / seconds:.1f} passages/s")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, required=True, help="library size N")
    parser.add_argument("--stub-embedder", action="store_true", help="build the library with the instant stub")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--dir", type=Path, help="library folder (kept; reused and extended if it exists)")
    parser.add_argument("--batch", type=int, default=1000, help="articles per commit while building")
    parser.add_argument("--ann-threshold", type=int, default=None, help="default: qa_bot's Config")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5, help="adds/removes measured (median)")
    parser.add_argument("--real-articles", type=int, default=200)
    parser.add_argument("--embed-batch-sizes", default="", help="e.g. 16,32,64,128 (default: the Embedder's)")
    parser.add_argument("--skip-real", action="store_true", help="no real-embedder ingest measurement")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # the fresh child process
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from qa_bot.config import Config

    threshold = args.ann_threshold if args.ann_threshold is not None else Config().ann_threshold
    folder = args.dir or Path(tempfile.gettempdir()) / f"store_scale_{args.articles}"
    if args.measure:
        print(json.dumps(measure(folder, args.articles, threshold, args.queries, args.repeats)))
        return 0
    if not args.stub_embedder:
        parser.error("building a big library with the real embedder takes hours here: pass --stub-embedder")
    started = time.time()
    built = build(folder, args.articles, Corpus(), threshold, args.batch)
    child = subprocess.run([sys.executable, __file__, "--measure", "--articles", str(args.articles), "--dir", str(folder),
                            "--ann-threshold", str(threshold), "--queries", str(args.queries),
                            "--repeats", str(args.repeats)], capture_output=True, text=True)
    if child.returncode:
        sys.stderr.write(child.stderr)
        return child.returncode
    results = {**json.loads(child.stdout.strip().splitlines()[-1]), **built, "ann_threshold": threshold}
    if not args.skip_real:
        from qa_bot.embedder import BATCH_SIZE

        sizes = [int(s) for s in args.embed_batch_sizes.split(",") if s] or [BATCH_SIZE]
        results["ingest_real"] = real_ingest(args.real_articles, sizes)
        best = max((r for r in results["ingest_real"].values() if isinstance(r, dict)),
                   key=lambda r: r["passages_per_s"])
        results["ingest_passages_per_s"] = best["passages_per_s"]
    rows = [[k, results[k]] for k in ("articles", "passages", "dense", "add_one_s", "remove_one_s",
                                      "bytes_written_per_add", "open_s", "rss_mb", "search_p50_ms",
                                      "search_p95_ms", "dense_recall_at_20", "disk_mb", "ingest_passages_per_s", "build_s") if k in results]
    print_table(f"store_scale: {args.articles:,} articles", ["metric", "value"], rows, digits=3)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        record = {"script": "store_scale", "command": " ".join(sys.argv), "duration_s": time.time() - started,
                  "machine": machine_info(), "results": results}
        args.json.write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
