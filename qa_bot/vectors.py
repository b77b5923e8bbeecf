"""Passage vectors: an append-only float16 file on disk and the FAISS index built from it in memory.

Row ``pid`` of ``vectors.f16`` is the vector of passage ``pid``. Only rows below the committed slot
count (kept in SQLite) are ever read, so a writer killed mid-append leaves a tail that the next writer
truncates. Removed passages leave dead rows (``rebuild`` compacts them away).

The FAISS index carries the pids as ids: ``IndexIDMap2(IndexFlatIP)`` (exact) for small libraries; above
the ANN threshold an ``IndexIVFScalarQuantizer`` (fp16, no residual), whose codes are exactly the file's
rows and whose list of each passage is stored in SQLite, so opening needs no training or assignment.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)

VECTOR_FILE = "vectors.f16"
CENTROID_FILE = "centroids.npy"
NPROBE = 64  # lists searched per query: 7 % of the passages when trained at 50k (4·√n lists)
_READ_ROWS = 65_536  # rows read at a time while opening (bounded extra memory)


def n_lists(passages: int) -> int:
    """IVF lists for a library of this size (about 4·√n; fewer for a tiny one: k-means wants ~39 points
    per list)."""
    return max(1, min(int(4 * passages ** 0.5), passages // 39))


class VectorFile:
    """Append-only file of float16 rows."""

    def __init__(self, folder: Path, dim: int) -> None:
        self.path = folder / VECTOR_FILE
        self.dim = dim
        self.row_bytes = 2 * dim

    def rows_on_disk(self) -> int:
        try:
            return self.path.stat().st_size // self.row_bytes
        except FileNotFoundError:
            return 0

    def append(self, slots: int, vectors: np.ndarray) -> None:
        """Write ``vectors`` at rows ``slots...`` (dropping any uncommitted tail first) and fsync."""
        data = np.ascontiguousarray(vectors, dtype=np.float16).tobytes()
        with open(self.path, "ab") as f:
            f.truncate(slots * self.row_bytes)
            try:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            except BaseException:
                f.truncate(slots * self.row_bytes)
                raise

    def read(self, pids: Sequence[int]) -> np.ndarray:
        """float32 vectors of some rows."""
        out = np.zeros((len(pids), self.dim), dtype=np.float32)
        if len(pids) == 0:
            return out
        with open(self.path, "rb") as f:
            fd = f.fileno()
            for i, pid in enumerate(pids):
                raw = os.pread(fd, self.row_bytes, int(pid) * self.row_bytes)
                out[i] = np.frombuffer(raw, dtype=np.float16)
        return out

    def chunks(self, slots: int):
        """(first row, float16 rows) over rows 0..slots, a bounded block at a time."""
        with open(self.path, "rb") as f:
            for first in range(0, slots, _READ_ROWS):
                n = min(_READ_ROWS, slots - first)
                block = np.empty((n, self.dim), dtype=np.float16)
                f.readinto(memoryview(block).cast("B"))
                yield first, block


class DenseIndex:
    """The in-memory FAISS index over the live passages, searched by pid."""

    def __init__(self, dim: int, centroids: np.ndarray | None = None) -> None:
        import faiss

        self.dim = dim
        if centroids is None:
            self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
            self.kind = "flat"
        else:
            quantizer = faiss.IndexFlatIP(dim)
            quantizer.add(np.ascontiguousarray(centroids, dtype=np.float32))
            self.index = faiss.IndexIVFScalarQuantizer(quantizer, dim, len(centroids),
                                                       faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
            self.index.by_residual = False
            self.index.is_trained = True
            self.index.nprobe = min(NPROBE, len(centroids))
            self._quantizer = quantizer  # keep it alive: FAISS does not own it
            self.kind = "ivf"

    def __len__(self) -> int:
        return self.index.ntotal

    def assign(self, vectors: np.ndarray) -> np.ndarray:
        """The IVF list of each vector (-1 for an exact index)."""
        if self.kind == "flat":
            return np.full(len(vectors), -1, dtype=np.int64)
        _, lists = self._quantizer.search(np.ascontiguousarray(vectors, dtype=np.float32), 1)
        return lists[:, 0]

    def add(self, pids: np.ndarray, vectors16: np.ndarray, lists: np.ndarray) -> None:
        """Add rows (float16) with their pids; for IVF straight into their known lists."""
        import faiss

        if len(pids) == 0:
            return
        pids = np.ascontiguousarray(pids, dtype=np.int64)
        if self.kind == "flat":
            self.index.add_with_ids(np.ascontiguousarray(vectors16, dtype=np.float32), pids)
            return
        codes = np.ascontiguousarray(vectors16, dtype=np.float16).view(np.uint8).reshape(len(pids), -1)
        order = np.argsort(lists, kind="stable")
        lists, pids, codes = lists[order], pids[order], codes[order]
        bounds = np.flatnonzero(np.diff(lists)) + 1
        for start, end in zip(np.r_[0, bounds], np.r_[bounds, len(lists)]):
            ids, block = np.ascontiguousarray(pids[start:end]), np.ascontiguousarray(codes[start:end])
            self.index.invlists.add_entries(int(lists[start]), int(end - start), faiss.swig_ptr(ids), faiss.swig_ptr(block))
        self.index.ntotal += len(pids)

    def remove(self, pids: Sequence[int]) -> None:
        if len(pids):
            self.index.remove_ids(np.asarray(pids, dtype=np.int64))

    def search(self, query: np.ndarray, k: int) -> dict[int, float]:
        if self.index.ntotal == 0:
            return {}
        sims, ids = self.index.search(query.reshape(1, -1).astype(np.float32), min(k, self.index.ntotal))
        return {int(i): float(s) for i, s in zip(ids[0], sims[0]) if i >= 0}

    @classmethod
    def load(cls, vectors: VectorFile, dim: int, live: Sequence[tuple[int, int]], slots: int,
             centroids: np.ndarray | None) -> "DenseIndex":
        """Build from the file's rows, keeping only live pids (no training, no assignment)."""
        dense = cls(dim, centroids)
        table = np.asarray(live, dtype=np.int64).reshape(-1, 2)
        if not len(table):
            return dense
        pids, lists = table[:, 0], table[:, 1]
        for first, block in vectors.chunks(slots):
            lo, hi = np.searchsorted(pids, [first, first + len(block)])
            rows = pids[lo:hi]
            dense.add(rows, block[rows - first], lists[lo:hi])
        return dense


def train_centroids(vectors: VectorFile, slots: int, live_pids: np.ndarray, dim: int, seed: int = 0) -> np.ndarray:
    """k-means centroids (unit length, for inner product) from a sample of the live vectors."""
    import faiss

    nlist = n_lists(len(live_pids))
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(live_pids, size=min(len(live_pids), 30 * nlist), replace=False))
    x = vectors.read(sample)
    log.info("Training %d IVF lists on %d vectors", nlist, len(x))
    kmeans = faiss.Kmeans(dim, nlist, niter=10, spherical=True, seed=seed)
    kmeans.train(x)
    return kmeans.centroids.astype(np.float32)
