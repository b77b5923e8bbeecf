"""Sentence embeddings through sentence-transformers: batched, length-sorted, L2-normalised."""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Sequence

import numpy as np

from .config import EMBED_DTYPES
from .model_store import embedder_path

log = logging.getLogger(__name__)

BATCH_SIZE = 64  # passages per forward pass; see bench/store_scale.py (ingest passages/s by batch size)


def bf16_fast() -> bool:
    """Does this CPU multiply bfloat16 in hardware (AMX tiles or AVX-512 BF16)? Asked at run time."""
    import torch

    cpu = getattr(torch, "cpu", None)
    checks = [getattr(cpu, name, None) for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported")]
    return any(check() for check in checks if check is not None)


def resolve_dtype(dtype: str) -> str:
    """``auto``: bfloat16 where the CPU computes it natively (2-3x the passages/s of float32 for the same
    neighbours, bench/embed_dtype.py), float32 elsewhere."""
    if dtype not in EMBED_DTYPES:
        raise ValueError(f"embedding dtype must be one of {', '.join(EMBED_DTYPES)}")
    if dtype == "auto":
        return "bfloat16" if bf16_fast() else "float32"
    return dtype


class Embedder:
    """Embed a string or a list of strings into unit vectors (float32)."""

    def __init__(self, model: str = "all-minilm-l6-v2", batch_size: int = BATCH_SIZE, max_length: int = 256,
                 dtype: str = "auto") -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.name = model
        self.dtype = resolve_dtype(dtype)
        self.model = SentenceTransformer(embedder_path(model), device="cpu")
        if self.dtype == "bfloat16":
            self.model.to(torch.bfloat16)
        log.info("Embedder %s in %s", model, self.dtype)
        self.model.max_seq_length = max_length
        self.batch_size = batch_size
        self.max_length = max_length
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()  # single queries: search, then selection
        self._recent_lock = threading.Lock()

    def __call__(self, texts: str | Sequence[str], progress: bool = False) -> np.ndarray:
        single = isinstance(texts, str)
        if single:
            with self._recent_lock:
                if texts in self._recent:
                    self._recent.move_to_end(texts)
                    return self._recent[texts].copy()
        items = [texts] if single else list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self.model.encode(items, batch_size=self.batch_size, convert_to_tensor=True,
                                show_progress_bar=progress and len(items) > self.batch_size)
        out = out.float()  # normalised in float32 whatever the model computed in
        out = (out / out.norm(dim=1, keepdim=True).clamp_min(1e-12)).numpy()
        if single:
            with self._recent_lock:
                self._recent[texts] = out[0].copy()
                if len(self._recent) > 128:
                    self._recent.popitem(last=False)
            return out[0]
        return out
