"""Sentence embeddings: mean-pooled, L2-normalised transformer outputs (sentence-transformers style)."""
from __future__ import annotations

import logging
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

    def __call__(self, texts: str | Sequence[str], progress: bool = False) -> np.ndarray:
        single = isinstance(texts, str)
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
        return out[0] if single else out
