"""Sentence embeddings: mean-pooled, L2-normalised transformer outputs (sentence-transformers style)."""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Sequence

import numpy as np

from .model_store import embedder_path

log = logging.getLogger(__name__)


class Embedder:
    """Embed a string or a list of strings into unit vectors (float32)."""

    def __init__(self, model: str = "all-minilm-l6-v2", batch_size: int = 32, max_length: int = 256) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.name = model
        path = embedder_path(model)
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path).eval()
        self.batch_size = batch_size
        self.max_length = max_length
        self.dim = int(self.model.config.hidden_size)
        self._torch = torch
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
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        batches = range(0, len(items), self.batch_size)
        if progress and len(items) > self.batch_size:
            from tqdm.auto import tqdm

            batches = tqdm(batches, desc="embedding passages", unit="batch")
        torch = self._torch
        with torch.inference_mode():
            for i in batches:
                batch = self.tokenizer(items[i:i + self.batch_size], padding=True, truncation=True,
                                       max_length=self.max_length, return_tensors="pt")
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out[i:i + len(pooled)] = pooled.numpy()
        if single:
            with self._recent_lock:
                self._recent[texts] = out[0].copy()
                if len(self._recent) > 128:
                    self._recent.popitem(last=False)
            return out[0]
        return out
