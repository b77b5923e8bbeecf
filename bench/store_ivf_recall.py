"""Recall@20 of the store's IVF (fp16, 4·sqrt(n) lists trained at 50k passages, nprobe 64) against exact search, on
bench/faiss_scale.py's synthetic vectors calibrated on all-MiniLM-L6-v2 embeddings of NYT passages and questions
(the stub embedder of store_scale.py makes near-random vectors, on which any IVF looks worse).

    python bench/store_ivf_recall.py
"""
import sys, time
sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parent.parent))
import numpy as np, faiss
from bench.faiss_scale import Mixture
from qa_bot.vectors import DenseIndex, n_lists
mix = Mixture(384)
xb = mix.corpus(400_000).astype(np.float32)
xq = mix.queries(100).astype(np.float32)
nl = n_lists(50_000)
rng = np.random.default_rng(0)
km = faiss.Kmeans(384, nl, niter=10, spherical=True, seed=0)
km.train(xb[rng.choice(50_000, 30 * nl, replace=False)])
d = DenseIndex(384, km.centroids)
for n in (50_000, 100_000, 400_000):
    lo = len(d)
    block = xb[lo:n]
    d.add(np.arange(lo, n), block.astype(np.float16), d.assign(block))
    exact = faiss.IndexFlatIP(384); exact.add(xb[:n])
    _, gt = exact.search(xq, 20)
    t = time.perf_counter()
    found = [len(set(d.search(q, 20)) & set(g.tolist())) for q, g in zip(xq, gt)]
    print(n, "nlist", nl, "nprobe", d.index.nprobe, "recall@20", sum(found) / 2000, "ms", (time.perf_counter() - t) * 10)
