"""FAISS search latency as the index grows (1k .. 1M passages): exact IndexFlatIP vs HNSW and IVF-Flat.

Synthetic, clustered unit vectors of dimension 384 (like all-MiniLM-L6-v2 passage embeddings): topics,
articles around them, passages around those, and questions near articles. The defaults match real
embeddings of NYT passages and questions in nearest-neighbour cosines (``--calibrate`` prints both).
Recall@k of the approximate indexes is measured against the exact top k. No model is loaded (except
the small embedder with ``--calibrate``).

    python bench/faiss_scale.py --max-n 10000
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python bench/faiss_scale.py

import numpy as np  # noqa: E402

from bench.common import (Timer, base_parser, current_rss_mb, latency, peak_rss_mb, print_table,  # noqa: E402
                          progress, write_results)

DEFAULT_SIZES = "1000,10000,100000,1000000"


# ---- synthetic data -----------------------------------------------------------------------------
def unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (in place)."""
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def around(centers: np.ndarray, picks: np.ndarray, spread: float, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors near ``centers[picks]``: cosine to the center is about 1/sqrt(1 + spread**2)."""
    dim = centers.shape[1]
    noise = rng.standard_normal((len(picks), dim), dtype=np.float32) * np.float32(spread / math.sqrt(dim))
    return unit(centers[picks] + noise)


class Mixture:
    """Topics -> articles -> passages, plus a direction shared by all (sentence embeddings are anisotropic).

    ``corpus(n)`` gives n passages, ``passages_per_article`` consecutive ones per article (so a prefix of
    the corpus is a smaller corpus); ``queries(m)`` gives questions near articles of the first 1,000
    passages, so every size holds their answers. Defaults are calibrated on all-MiniLM-L6-v2 embeddings
    of SQuADShifts NYT passages and questions (see ``--calibrate``).
    """

    def __init__(self, dim: int, topics: int = 32, seed: int = 0, passages_per_article: int = 4,
                 shared: float = 0.45, article_spread: float = 0.9, passage_spread: float = 0.8,
                 query_spread: float = 1.2) -> None:
        self.rng = np.random.default_rng(seed)
        self.dim, self.ppa = dim, passages_per_article
        self.passage_spread, self.query_spread, self.article_spread = passage_spread, query_spread, article_spread
        common = self.rng.standard_normal((1, dim), dtype=np.float32)
        common *= np.float32(shared / np.linalg.norm(common))
        self.topics = unit(unit(self.rng.standard_normal((topics, dim), dtype=np.float32)) + common)
        self.articles = np.zeros((0, dim), dtype=np.float32)

    def _articles(self, count: int) -> np.ndarray:
        """Article centers, drawn once and extended as needed (the same for every size)."""
        if count > len(self.articles):
            extra = count - len(self.articles)
            new = around(self.topics, self.rng.integers(0, len(self.topics), extra), self.article_spread, self.rng)
            self.articles = np.vstack([self.articles, new])
        return self.articles[:count]

    def corpus(self, n: int, chunk: int = 100_000) -> np.ndarray:
        centers = self._articles(-(-n // self.ppa))
        out = np.empty((n, self.dim), dtype=np.float32)
        for i in range(0, n, chunk):
            rows = np.arange(i, min(n, i + chunk)) // self.ppa
            out[i:i + len(rows)] = around(centers, rows, self.passage_spread, self.rng)
        return out

    def queries(self, m: int) -> np.ndarray:
        pool = self._articles(max(1, 1000 // self.ppa))
        return around(pool, self.rng.integers(0, len(pool), m), self.query_spread, self.rng)


def neighbour_stats(passages: np.ndarray, queries: np.ndarray) -> dict[str, float]:
    """Mean cosine of each query's 1st and 10th nearest passage, each passage's nearest other passage,
    and of random pairs: the numbers that make synthetic vectors look like real embeddings."""
    s = -np.sort(-(queries @ passages.T), axis=1)
    pp = passages @ passages.T
    np.fill_diagonal(pp, -np.inf)
    nn = np.max(pp, axis=1)
    np.fill_diagonal(pp, 0.0)
    k = min(10, passages.shape[0]) - 1
    return {"query_top1": float(s[:, 0].mean()), "query_top10": float(s[:, k].mean()),
            "passage_nearest": float(nn.mean()),
            "random_pair": float(pp.sum() / (len(passages) * (len(passages) - 1)))}


def real_stats(data_dir: Path, n_passages: int) -> dict[str, float]:
    """neighbour_stats of real all-MiniLM-L6-v2 embeddings: NYT passages (qa_bot chunking) and questions."""
    from bench.common import load_squad, sample
    from qa_bot.chunking import chunk_article
    from qa_bot.embedder import Embedder

    articles = load_squad(data_dir / "squadshifts_nyt_dev.json")
    texts = [c.text for a in articles for p in a.paragraphs for c in chunk_article("x", p, 700, 1200, 1)][:n_passages]
    questions = [q.question for q in sample([q for a in articles for q in a.qas], 200, 0)]
    embed = Embedder()
    return neighbour_stats(embed(texts), embed(questions))


# ---- indexes ------------------------------------------------------------------------------------
def build_flat(xb: np.ndarray, args: Any):
    import faiss

    index = faiss.IndexFlatIP(xb.shape[1])
    index.add(xb)
    return index


def build_hnsw(xb: np.ndarray, args: Any):
    import faiss

    index = faiss.IndexHNSWFlat(xb.shape[1], args.hnsw_m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = args.ef_construction
    index.add(xb)
    return index


def ivf_nlist(n: int) -> int:
    return max(1, round(4 * math.sqrt(n)))


def build_ivf(xb: np.ndarray, args: Any):
    import faiss

    nlist = ivf_nlist(len(xb))
    quantizer = faiss.IndexFlatIP(xb.shape[1])
    index = faiss.IndexIVFFlat(quantizer, xb.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    train = xb if len(xb) <= args.train_per_list * nlist else \
        xb[np.random.default_rng(0).choice(len(xb), args.train_per_list * nlist, replace=False)]
    index.train(train)
    index.add(xb)
    return index


def index_mb(index: Any, n: int, dim: int) -> float:
    """Memory held by the index structures (vectors, graph links, inverted-list ids), in MB."""
    vectors = n * dim * 4
    if hasattr(index, "hnsw"):
        h = index.hnsw
        try:
            links = h.neighbors.size() * 4 + h.offsets.size() * 8 + h.levels.size() * 4
        except AttributeError:  # older/newer wrappers: ~2M links at level 0 plus upper levels
            links = n * (2 * h.nb_neighbors(1) + h.nb_neighbors(1) / max(1, h.nb_neighbors(1) - 1)) * 4 + n * 12
        return (vectors + links) / 2**20
    if hasattr(index, "nlist"):
        return (vectors + n * 8 + index.nlist * dim * 4) / 2**20
    return vectors / 2**20


KINDS: dict[str, Callable[[np.ndarray, Any], Any]] = {"flat (exact)": build_flat, "hnsw": build_hnsw,
                                                      "ivf-flat": build_ivf}


def search_settings(kind: str, index: Any, args: Any) -> list[tuple[str, Callable[[], None]]]:
    """(label, apply) for each search-time setting to measure on one built index."""
    if kind == "hnsw":
        return [(f"efS={ef}", lambda ef=ef: setattr(index.hnsw, "efSearch", ef)) for ef in args.ef_search]
    if kind == "ivf-flat":
        return [(f"nprobe={min(p, index.nlist)}", lambda p=p: setattr(index, "nprobe", min(p, index.nlist)))
                for p in args.nprobe]
    return [("", lambda: None)]


def timed_search(index: Any, xq: np.ndarray, k: int) -> tuple[np.ndarray, list[float]]:
    """Search the queries one at a time (as qa_bot does); ids and per-query seconds."""
    ids = np.empty((len(xq), k), dtype=np.int64)
    seconds = []
    for i in range(len(xq)):
        t0 = time.perf_counter()
        _, found = index.search(xq[i:i + 1], k)
        seconds.append(time.perf_counter() - t0)
        ids[i] = found[0]
    return ids, seconds


def recall_at_k(found: np.ndarray, exact: np.ndarray) -> float:
    """Share of the exact top k that the approximate search returned."""
    k = exact.shape[1]
    return float(np.mean([len(set(f) & set(e)) / k for f, e in zip(found, exact)]))


def measure(kind: str, xb: np.ndarray, xq: np.ndarray, exact: np.ndarray | None, args: Any) -> dict[str, Any]:
    """Build one index over ``xb``; per search setting, time single-query searches and recall against ``exact``."""
    rss0 = current_rss_mb()
    with Timer() as build:
        index = KINDS[kind](xb, args)
    out: dict[str, Any] = {"build_s": build.seconds, "index_mb": index_mb(index, len(xb), xb.shape[1]),
                           "rss_delta_mb": current_rss_mb() - rss0, "search": {}}
    if kind == "ivf-flat":
        out["nlist"] = index.nlist
    for label, apply in search_settings(kind, index, args):
        apply()
        index.search(xq[:5], args.k)  # warm-up
        found, seconds = timed_search(index, xq, args.k)
        out["search"][label] = {"ms": {k: 1000 * v for k, v in latency(seconds).items() if k != "n"},
                                "recall_at_k": 1.0 if exact is None else recall_at_k(found, exact),
                                "found": found}
    del index
    return out


def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main() -> int:
    parser = base_parser(__doc__.splitlines()[0], 200, "queries per size", config_flags=False)
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated index sizes")
    parser.add_argument("--max-n", type=int, default=1_000_000, help="skip sizes above this")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--k", type=int, default=10, help="neighbours searched; recall@k")
    parser.add_argument("--topics", type=int, default=32)
    parser.add_argument("--passages-per-article", type=int, default=4)
    parser.add_argument("--shared", type=float, default=0.45, help="weight of the direction all vectors share")
    parser.add_argument("--article-spread", type=float, default=0.9)
    parser.add_argument("--passage-spread", type=float, default=0.8)
    parser.add_argument("--query-spread", type=float, default=1.2)
    parser.add_argument("--calibrate", action="store_true",
                        help="also embed the NYT passages and questions and print their neighbour statistics")
    parser.add_argument("--hnsw-m", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=80)
    parser.add_argument("--ef-search", type=ints, default=[64, 128], help="HNSW efSearch values (comma-separated)")
    parser.add_argument("--nprobe", type=ints, default=[16], help="IVF nprobe values (comma-separated)")
    parser.add_argument("--train-per-list", type=int, default=50, help="IVF training points per list (at most)")
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated, of: {', '.join(KINDS)}")
    parser.add_argument("--threads", type=int, default=0, help="FAISS OpenMP threads (0: FAISS default, all cores)")
    args = parser.parse_args()
    import faiss

    if args.threads:
        faiss.omp_set_num_threads(args.threads)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        parser.error(f"unknown --kinds {unknown}; choose from {list(KINDS)}")
    sizes = [n for n in (int(s) for s in args.sizes.split(",")) if n <= args.max_n]
    started = time.time()
    mixture = Mixture(args.dim, args.topics, args.seed, args.passages_per_article, args.shared,
                      args.article_spread, args.passage_spread, args.query_spread)
    with Timer() as gen:
        data = mixture.corpus(max(sizes))
        queries = mixture.queries(args.limit or 200)
    progress(f"generated {len(data):,} + {len(queries)} vectors in {gen.seconds:.1f} s")
    shape = {"synthetic": neighbour_stats(data[:1600], queries)}
    if args.calibrate:
        shape["real (NYT, all-MiniLM-L6-v2)"] = real_stats(args.data_dir, 1600)
    print_table("Neighbour cosines over 1,600 passages (synthetic vs real embeddings)",
                ["vectors", "query top-1", "query top-10", "passage nearest", "random pair"],
                [[name, *st.values()] for name, st in shape.items()], digits=3)
    results: dict[str, Any] = {}
    rows = []
    for n in sizes:
        xb = data[:n]
        exact = None
        results[str(n)] = {}
        for kind in ["flat (exact)"] + [k for k in kinds if k != "flat (exact)"]:
            if kind != "flat (exact)" and kind not in kinds:
                continue
            progress(f"n={n:,}: {kind} ...")
            r = measure(kind, xb, queries, exact, args)
            for label, found in list(r["search"].items()):
                if kind == "flat (exact)":
                    exact = found.pop("found")
                else:
                    found.pop("found")
                rows.append([f"{n:,}", f"{kind} {label}".strip(), r["build_s"], found["ms"]["p50"],
                             found["ms"]["p95"], found["recall_at_k"], r["index_mb"]])
                progress(f"  {label or kind}: build {r['build_s']:.2f} s, p50 {found['ms']['p50']:.3f} ms, "
                         f"recall {found['recall_at_k']:.3f}")
            results[str(n)][kind] = r
    print_table(f"FAISS single-query search, dim {args.dim}, k={args.k}, {len(queries)} queries, "
                f"threads {faiss.omp_get_max_threads()} (HNSW M={args.hnsw_m} efC={args.ef_construction} "
                f"(qa_bot: efS 128); IVF nlist=4*sqrt(n))",
                ["passages", "index", "build s", "search p50 ms", "search p95 ms", f"recall@{args.k}", "index MB"],
                rows, digits=3)
    print(f"peak memory of this run: {peak_rss_mb():.0f} MB")
    params = {k: v for k, v in vars(args).items() if k not in ("out_dir", "data_dir", "tag", "verbose")}
    params["faiss_threads"] = faiss.omp_get_max_threads()
    path = write_results("faiss_scale", args.tag, config={"note": "synthetic vectors; no qa_bot model used"},
                         limit=args.limit, results={"sizes": results, "neighbour_cosines": shape, "peak_rss_mb": peak_rss_mb()},
                         params=params, started=started, out_dir=args.out_dir)
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
