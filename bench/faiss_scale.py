"""FAISS search latency as the index grows (1k .. 1M passages): exact IndexFlatIP vs HNSW and IVF-Flat.

Synthetic, clustered unit vectors of dimension 384 (like all-MiniLM-L6-v2 passage embeddings): topics,
sub-topics around them and passages around those; queries are fresh draws from the same mixture.
Recall@k of the approximate indexes is measured against the exact top k. No model is loaded.

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
    """Topics -> sub-topics -> passages; ``draw(n)`` gives n clustered unit vectors."""

    def __init__(self, dim: int, topics: int, subtopics: int, seed: int, spread: float = 1.0) -> None:
        self.rng = np.random.default_rng(seed)
        self.dim, self.spread = dim, spread
        topic_centers = unit(self.rng.standard_normal((topics, dim), dtype=np.float32))
        self.centers = around(topic_centers, self.rng.integers(0, topics, subtopics), 1.0, self.rng)

    def draw(self, n: int, chunk: int = 100_000) -> np.ndarray:
        out = np.empty((n, self.dim), dtype=np.float32)
        for i in range(0, n, chunk):
            m = min(chunk, n - i)
            out[i:i + m] = around(self.centers, self.rng.integers(0, len(self.centers), m), self.spread, self.rng)
        return out


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
    index.hnsw.efSearch = args.ef_search
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
    index.nprobe = min(args.nprobe, nlist)
    index._quantizer = quantizer  # keep the quantizer alive with the index
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
    """Build one index over ``xb``, time single-query searches, recall against ``exact``."""
    rss0 = current_rss_mb()
    with Timer() as build:
        index = KINDS[kind](xb, args)
    rss1 = current_rss_mb()
    index.search(xq[:5], args.k)  # warm-up
    found, seconds = timed_search(index, xq, args.k)
    out = {"build_s": build.seconds, "index_mb": index_mb(index, len(xb), xb.shape[1]), "rss_delta_mb": rss1 - rss0,
           "search_ms": {k: 1000 * v for k, v in latency(seconds).items() if k != "n"},
           "recall_at_k": 1.0 if exact is None else recall_at_k(found, exact)}
    if kind == "ivf-flat":
        out["nlist"], out["nprobe"] = index.nlist, index.nprobe
    del index
    return {"found": found, **out}


def main() -> int:
    parser = base_parser(__doc__.splitlines()[0], 200, "queries per size", config_flags=False)
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated index sizes")
    parser.add_argument("--max-n", type=int, default=1_000_000, help="skip sizes above this")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--k", type=int, default=10, help="neighbours searched; recall@k")
    parser.add_argument("--topics", type=int, default=64)
    parser.add_argument("--subtopics", type=int, default=4096)
    parser.add_argument("--hnsw-m", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=80)
    parser.add_argument("--ef-search", type=int, default=64)
    parser.add_argument("--nprobe", type=int, default=16)
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
    mixture = Mixture(args.dim, args.topics, args.subtopics, args.seed)
    with Timer() as gen:
        data = mixture.draw(max(sizes))
        queries = mixture.draw(args.limit or 200)
    progress(f"generated {len(data):,} + {len(queries)} vectors in {gen.seconds:.1f} s; "
             f"query-to-nearest cosine ~{float(np.mean(np.max(queries[:50] @ data[:min(len(data), 100_000)].T, axis=1))):.2f}")
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
            if kind == "flat (exact)":
                exact = r["found"]
            del r["found"]
            results[str(n)][kind] = r
            rows.append([f"{n:,}", kind, r["build_s"], r["search_ms"]["p50"], r["search_ms"]["p95"],
                         r["recall_at_k"], r["index_mb"], r["rss_delta_mb"]])
            progress(f"  build {r['build_s']:.2f} s, p50 {r['search_ms']['p50']:.3f} ms, recall {r['recall_at_k']:.3f}")
    print_table(f"FAISS single-query search, dim {args.dim}, k={args.k}, {len(queries)} queries, "
                f"threads {faiss.omp_get_max_threads()} (HNSW M={args.hnsw_m} efC={args.ef_construction} "
                f"efS={args.ef_search}; IVF nlist=4*sqrt(n) nprobe={args.nprobe})",
                ["passages", "index", "build s", "search p50 ms", "search p95 ms", f"recall@{args.k}", "index MB",
                 "RSS delta MB"], rows, digits=3)
    print(f"peak memory of this run: {peak_rss_mb():.0f} MB")
    params = {k: v for k, v in vars(args).items() if k not in ("out_dir", "data_dir", "tag", "verbose")}
    params["faiss_threads"] = faiss.omp_get_max_threads()
    path = write_results("faiss_scale", args.tag, config={"note": "synthetic vectors; no qa_bot model used"},
                         limit=args.limit, results={"sizes": results, "peak_rss_mb": peak_rss_mb()},
                         params=params, started=started, out_dir=args.out_dir)
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
