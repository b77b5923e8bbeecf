"""Sentence embeddings through sentence-transformers: batched, length-sorted, L2-normalised."""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Sequence

import numpy as np

from .model_store import embedder_path

log = logging.getLogger(__name__)

BATCH_SIZE = 64  # passages per forward pass; see bench/store_scale.py (ingest passages/s by batch size)


class Embedder:
    """Embed a string or a list of strings into unit vectors (float32)."""

    def __init__(self, model: str = "all-minilm-l6-v2", batch_size: int = BATCH_SIZE, max_length: int = 256) -> None:
        from sentence_transformers import SentenceTransformer

        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.name = model
        self.model = SentenceTransformer(embedder_path(model), device="cpu")
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
        out = self.model.encode(items, batch_size=self.batch_size, normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=progress and len(items) > self.batch_size)
        out = np.asarray(out, dtype=np.float32)
        if single:
            with self._recent_lock:
                self._recent[texts] = out[0].copy()
                if len(self._recent) > 128:
                    self._recent.popitem(last=False)
            return out[0]
        return out
