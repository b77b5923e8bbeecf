"""The real default embedder: unit vectors, and bfloat16 arithmetic that keeps the same neighbours."""
from __future__ import annotations

import numpy as np
import pytest

from qa_bot.embedder import Embedder, bf16_fast, resolve_dtype

TEXTS = [
    "The call, requested by Russian officials, lasted 50 minutes.",
    "Biden warned Putin of sanctions if Russia invaded Ukraine.",
    "The recipe needs two eggs, flour and a pinch of salt.",
    "Bake the cake for forty minutes at 180 degrees.",
]


def test_auto_dtype_follows_the_cpu():
    assert resolve_dtype("auto") == ("bfloat16" if bf16_fast() else "float32")
    assert resolve_dtype("float32") == "float32"
    with pytest.raises(ValueError):
        resolve_dtype("int4")


def test_bfloat16_vectors_are_unit_and_agree_with_float32(minilm):
    full = Embedder(dtype="float32")
    half = Embedder(dtype="bfloat16")
    a, b = full(TEXTS), half(TEXTS)
    assert a.dtype == b.dtype == np.float32
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    assert (a * b).sum(axis=1).min() > 0.99
    # the same nearest neighbour for each text
    assert ((a @ a.T - 2 * np.eye(4)).argmax(1) == (b @ b.T - 2 * np.eye(4)).argmax(1)).all()
    assert float(half(TEXTS[0]) @ b[0]) > 0.999  # one string: (nearly) the vector it has in a padded batch
