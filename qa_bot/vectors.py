"""Passage vectors: an append-only float16 file on disk and the FAISS index built from it in memory.

Row ``pid`` of ``vectors.f16`` is the vector of passage ``pid``. Only rows below the committed slot
count (kept in SQLite) are ever read, so a writer killed mid-append leaves a tail that the next writer
truncates. Removed passages leave dead rows (``rebuild`` compacts them away).

``lists.i32`` holds each row's IVF list (-1 before the library is large enough for IVF), appended
with the vectors. Removed pids are listed in SQLite, so opening reads these two files and that short
list, never the passage table.

The FAISS index carries the pids as ids: ``IndexIDMap2(IndexFlatIP)`` (exact) for small libraries; above
the ANN threshold an ``IndexIVFScalarQuantizer`` (fp16, no residual) filled with the stored lists, so
opening needs no training or assignment.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)

VECTOR_FILE = "vectors.f16"
LIST_FILE = "lists.i32"
CENTROID_FILE = "centroids.npy"
NPROBE = 64  # lists searched per query: 7 % of the passages when trained at 50k (4·√n lists)
_READ_ROWS = 65_536  # rows read at a time while opening (bounded extra memory)


def n_lists(passages: int) -> int:
    """IVF lists for a library of this size (about 4·√n; fewer for a tiny one: k-means wants ~39 points
    per list)."""
    return max(1, min(int(4 * passages ** 0.5), passages // 39))


class VectorFile:
    """Append-only files of float16 vector rows and their int32 IVF lists."""

    def __init__(self, folder: Path, dim: int) -> None:
        self.path = folder / VECTOR_FILE
        self.lists_path = folder / LIST_FILE
        self.dim = dim
        self.row_bytes = 2 * dim

    def rows_on_disk(self) -> int:
        try:
            return min(self.path.stat().st_size // self.row_bytes, self.lists_path.stat().st_size // 4)
        except FileNotFoundError:
            return 0

    def append(self, slots: int, vectors: np.ndarray, lists: np.ndarray) -> None:
        """Write rows ``slots...`` (dropping any uncommitted tail first) and fsync both files."""
        for path, data, width in ((self.path, np.ascontiguousarray(vectors, dtype=np.float16), self.row_bytes),
                                  (self.lists_path, np.ascontiguousarray(lists, dtype=np.int32), 4)):
            with open(path, "ab") as f:
                f.truncate(slots * width)
                try:
                    f.write(data.tobytes())
                    f.flush()
                    os.fsync(f.fileno())
                except BaseException:
                    f.truncate(slots * width)
                    raise

    def replace_lists(self, lists: np.ndarray) -> None:
        """Write a whole new list file (atomically: a temporary file renamed over it)."""
        tmp = self.lists_path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            f.write(np.ascontiguousarray(lists, dtype=np.int32).tobytes())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.lists_path)

    def lists(self, first: int, count: int) -> np.ndarray:
        return np.fromfile(self.lists_path, dtype=np.int32, count=count, offset=4 * first).astype(np.int64)

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
        """(first row, float16 rows, their lists) over rows 0..slots, a bounded block at a time."""
        with open(self.path, "rb") as f:
            for first in range(0, slots, _READ_ROWS):
                n = min(_READ_ROWS, slots - first)
                block = np.empty((n, self.dim), dtype=np.float16)
                f.readinto(memoryview(block).cast("B"))
                yield first, block, self.lists(first, n)


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
        x = np.ascontiguousarray(vectors16, dtype=np.float32)
        if self.kind == "flat":
            self.index.add_with_ids(x, pids)
        else:
            lists = np.ascontiguousarray(lists, dtype=np.int64)
            self.index.add_core(len(pids), faiss.swig_ptr(x), faiss.swig_ptr(pids), faiss.swig_ptr(lists))

    def remove(self, pids: Sequence[int]) -> None:
        if len(pids):
            self.index.remove_ids(np.asarray(pids, dtype=np.int64))

    def search(self, query: np.ndarray, k: int) -> dict[int, float]:
        if self.index.ntotal == 0:
            return {}
        sims, ids = self.index.search(query.reshape(1, -1).astype(np.float32), min(k, self.index.ntotal))
        return {int(i): float(s) for i, s in zip(ids[0], sims[0]) if i >= 0}

    @classmethod
    def load(cls, vectors: VectorFile, dim: int, slots: int, dead: np.ndarray,
             centroids: np.ndarray | None) -> "DenseIndex":
        """Build from the files' rows below ``slots`` except the ``dead`` pids (no training, no assignment)."""
        dense = cls(dim, centroids)
        alive = np.ones(slots, dtype=bool)
        alive[dead[dead < slots]] = False
        for first, block, lists in vectors.chunks(slots):
            keep = alive[first:first + len(block)]
            pids = np.flatnonzero(keep) + first
            dense.add(pids, block[keep], lists[keep])
        return dense


def train_centroids(vectors: VectorFile, live_pids: np.ndarray, dim: int, seed: int = 0) -> np.ndarray:
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
