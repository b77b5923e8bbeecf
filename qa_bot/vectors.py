"""Passage vectors: an append-only float16 file on disk and the FAISS index built from it in memory.

Rows are appended in passage-id (``pid``) order. Only rows below the committed slot count (kept in
SQLite) are ever read, so a writer killed mid-append leaves a tail that the next writer truncates.
Removed passages leave dead rows until a compaction copies the live rows into files of the next
generation (``vectors.g1.f16``, ``lists.g1.i32``, ``pids.g1.i64``; generation 0 is ``vectors.f16`` and
``lists.i32``) and SQLite's metadata switches to them in one commit. Passage ids never change: the
``pids`` file lists the pid of each row copied by the compaction, and a row appended after it has
pid = row + ``pid_shift``. Before any compaction row and pid are the same.

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
PID_FILE = "pids.i64"
CENTROID_FILE = "centroids.npy"
NPROBE = 64  # lists searched per query: 7 % of the passages when trained at 50k (4·√n lists)
_READ_ROWS = 65_536  # rows read at a time while opening (bounded extra memory)


def n_lists(passages: int) -> int:
    """IVF lists for a library of this size (about 4·√n; fewer for a tiny one: k-means wants ~39 points
    per list)."""
    return max(1, min(int(4 * passages ** 0.5), passages // 39))


def _named(name: str, gen: int) -> str:
    """``vectors.f16`` of generation 0, ``vectors.g3.f16`` of generation 3."""
    stem, ext = name.split(".")
    return name if gen == 0 else f"{stem}.g{gen}.{ext}"


def generation_files(folder: Path) -> dict[int, list[Path]]:
    """The vector files in ``folder`` by generation (to delete those no longer current)."""
    found: dict[int, list[Path]] = {}
    for name in (VECTOR_FILE, LIST_FILE, PID_FILE):
        stem, ext = name.split(".")
        for path in folder.glob(f"{stem}*.{ext}"):
            middle = path.name[len(stem):-len(ext) - 1]
            if middle == "":
                found.setdefault(0, []).append(path)
            elif middle.startswith(".g") and middle[2:].isdigit():
                found.setdefault(int(middle[2:]), []).append(path)
    return found


class VectorFile:
    """Append-only files of float16 vector rows and their int32 IVF lists, of one generation.

    Reads go through descriptors opened once (:meth:`open`), so a reader keeps reading a generation that
    a compaction in another process has just replaced and deleted, until it adopts the new one."""

    def __init__(self, folder: Path, dim: int, gen: int = 0, pid_shift: int = 0,
                 compacted: np.ndarray | None = None) -> None:
        self.folder = folder
        self.gen = gen
        self.path = folder / _named(VECTOR_FILE, gen)
        self.lists_path = folder / _named(LIST_FILE, gen)
        self.pids_path = folder / _named(PID_FILE, gen)
        self.dim = dim
        self.row_bytes = 2 * dim
        self.shift = pid_shift  # pid of a row at or after len(compacted) is row + shift
        self.compacted = np.zeros(0, dtype=np.int64) if compacted is None else np.asarray(compacted, dtype=np.int64)
        self._fds: dict[str, int] = {}

    # ---- descriptors ----------------------------------------------------------------------------
    def open(self) -> "VectorFile":
        """Open the vector and list files for reading (FileNotFoundError if one is missing)."""
        for key, path in (("vectors", self.path), ("lists", self.lists_path)):
            if key not in self._fds:
                self._fds[key] = os.open(str(path), os.O_RDONLY)
        return self

    def _fd(self, key: str) -> int:
        if key not in self._fds:
            self.open()
        return self._fds[key]

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def files(self) -> list[Path]:
        return [self.path, self.lists_path] + ([self.pids_path] if self.gen else [])

    # ---- passage ids and rows -------------------------------------------------------------------
    def rows(self, pids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The row of each pid (-1 for a pid not in these files: removed before a compaction)."""
        pids = np.asarray(pids, dtype=np.int64).reshape(-1)
        rows = pids - self.shift
        n = len(self.compacted)
        old = pids < n + self.shift
        if old.any():
            if n == 0:
                rows[old] = -1
            else:
                at = np.searchsorted(self.compacted, pids[old])
                hit = self.compacted[np.minimum(at, n - 1)] == pids[old]
                rows[old] = np.where(hit, at, -1)
        return rows

    def pids_of(self, rows: np.ndarray) -> np.ndarray:
        """The pid of each row."""
        rows = np.asarray(rows, dtype=np.int64)
        n = len(self.compacted)
        if n == 0:
            return rows + self.shift
        return np.where(rows < n, self.compacted[np.minimum(rows, n - 1)], rows + self.shift)

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
        if "lists" in self._fds:  # read the new file from now on
            os.close(self._fds.pop("lists"))

    def lists(self, first: int, count: int) -> np.ndarray:
        """The IVF lists of rows ``first...first + count``."""
        raw = os.pread(self._fd("lists"), 4 * count, 4 * first)
        return np.frombuffer(raw, dtype=np.int32).astype(np.int64)

    def read(self, pids: Sequence[int]) -> np.ndarray:
        """float32 vectors of some passages (by pid)."""
        rows = self.rows(pids)
        if (rows < 0).any():
            raise KeyError(f"passages not in {self.path}: {np.asarray(pids)[rows < 0][:5].tolist()}")
        return self.read_rows(rows)

    def read_rows(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """float32 vectors of some rows."""
        out = np.zeros((len(rows), self.dim), dtype=np.float32)
        fd = self._fd("vectors") if len(rows) else -1
        for i, row in enumerate(rows):
            raw = os.pread(fd, self.row_bytes, int(row) * self.row_bytes)
            out[i] = np.frombuffer(raw, dtype=np.float16)
        return out

    def chunks(self, slots: int):
        """(first row, float16 rows, their lists) over rows 0..slots, a bounded block at a time."""
        fd = self._fd("vectors")
        for first in range(0, slots, _READ_ROWS):
            n = min(_READ_ROWS, slots - first)
            raw = os.pread(fd, n * self.row_bytes, first * self.row_bytes)
            if len(raw) < n * self.row_bytes:
                raise OSError(f"{self.path} is shorter than its {slots} committed rows")
            yield first, np.frombuffer(raw, dtype=np.float16).reshape(n, self.dim), self.lists(first, n)

    def write_compacted(self, slots: int, dead: np.ndarray) -> "VectorFile":
        """Copy the live rows below ``slots`` (all but the ``dead`` pids) into the files of the next
        generation, fsynced; returns them (not yet committed: SQLite still names this generation)."""
        alive = np.ones(slots, dtype=bool)
        dead_rows = self.rows(dead)
        alive[dead_rows[(dead_rows >= 0) & (dead_rows < slots)]] = False
        live_pids = self.pids_of(np.flatnonzero(alive))
        new = VectorFile(self.folder, self.dim, self.gen + 1, slots + self.shift - len(live_pids), live_pids)
        with open(new.path, "wb") as vectors, open(new.lists_path, "wb") as lists:
            for first, block, block_lists in self.chunks(slots):
                keep = alive[first:first + len(block)]
                vectors.write(np.ascontiguousarray(block[keep]).tobytes())
                lists.write(block_lists[keep].astype(np.int32).tobytes())
            for f in (vectors, lists):
                f.flush()
                os.fsync(f.fileno())
        with open(new.pids_path, "wb") as f:
            f.write(live_pids.tobytes())
            f.flush()
            os.fsync(f.fileno())
        return new


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
        dead_rows = vectors.rows(dead)
        alive[dead_rows[(dead_rows >= 0) & (dead_rows < slots)]] = False
        for first, block, lists in vectors.chunks(slots):
            keep = alive[first:first + len(block)]
            dense.add(vectors.pids_of(np.flatnonzero(keep) + first), block[keep], lists[keep])
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
