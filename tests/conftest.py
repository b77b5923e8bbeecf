"""Shared fixtures: the seed article, a small deterministic embedder, the real default Bot."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

try:  # llama.cpp before torch: with torch's OpenMP runtime loaded first, llama.cpp's decode segfaults here
    import llama_cpp  # noqa: F401
except ImportError:
    pass
import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "biden-putin-ukraine-call.txt"


class HashEmbedder:
    """Bag-of-words hashed into a unit vector: deterministic, instant, similar texts score higher."""

    dim = 64

    def __call__(self, texts, progress: bool = False):
        single = isinstance(texts, str)
        items = [texts] if single else list(texts)
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        for row, text in enumerate(items):
            for word in text.lower().split():
                word = word.strip(".,;:!?\"'“”’")
                if word:
                    out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out[0] if single else out


class ScriptedGenerator:
    """Replies with canned texts in order, streamed in small pieces; records the prompts it got."""

    name = "scripted"

    def __init__(self, *replies, kept=()):
        """``kept``: prompt prefixes it pretends to have read ahead (see Generator.warm)."""
        self.replies = list(replies)
        self.prompts = []
        self.kept = set(kept)
        self.cached = []  # the cache_upto of each prompt

    def has_prefix(self, messages, cache_upto=None):
        return cache_upto in self.kept

    def warm(self, messages, cache_upto):
        self.kept.add(cache_upto)
        return True

    def stream(self, messages, max_new_tokens=64, background=False, cache_upto=None):
        self.prompts.append(messages)
        self.cached.append(cache_upto)
        reply = self.replies.pop(0)
        for i in range(0, len(reply), 3):
            yield reply[i:i + 3]

    def __call__(self, messages, max_new_tokens=64, background=False, cache_upto=None):
        return "".join(self.stream(messages, max_new_tokens, cache_upto=cache_upto))

    def count_tokens(self, text):
        return len(text.split())


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def minilm():
    """The real default embedding model (small: loads in about a second)."""
    from qa_bot.embedder import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def real_bot(tmp_path_factory):
    """A Bot with the real default models over a fresh index of seeds/ (end-to-end tests)."""
    from qa_bot import Bot

    bot = Bot(index_dir=tmp_path_factory.mktemp("index"), cache_dir=os.environ.get("QA_BOT_CACHE_DIR") or None)
    bot.ensure_seeded()
    return bot


# Fixtures of the UI tests (tests/conftest_ui.py).
pytest_plugins = ["conftest_ui"]
