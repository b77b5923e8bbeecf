"""Reading the index layout used before the SQLite store (``CURRENT`` naming a ``gen-NNNNNN`` folder with
articles.json, passages.json, vectors.npy, dense.faiss and manifest.json), for the one-time migration."""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .articles import Article

log = logging.getLogger(__name__)

GEN = re.compile(r"^gen-(\d{6})$")


class LegacyProblem(Exception):
    """A legacy generation cannot be read: ``file`` is ``why`` (missing, corrupt, ...)."""

    def __init__(self, gen: Path, file: str, why: str) -> None:
        super().__init__(f"{gen / file} is {why}")
        self.path, self.why = gen / file, why


@dataclass
class LegacyIndex:
    """Everything a legacy generation holds."""

    manifest: dict
    articles: list[Article]
    passages: list[tuple[str, int, int]]  # (article id, start, end)
    vectors: np.ndarray


def read_manifest(gen: Path) -> dict:
    try:
        return json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LegacyProblem(gen, "manifest.json", "missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise LegacyProblem(gen, "manifest.json", "corrupt") from None


def read_generation(gen: Path, dim: int) -> LegacyIndex:
    """Read and check a whole generation (the FAISS file is not needed: vectors.npy is the source)."""
    manifest = read_manifest(gen)
    for file, size in manifest.get("files", {}).items():
        if file == "dense.faiss":
            continue
        path = gen / file
        if not path.is_file():
            raise LegacyProblem(gen, file, "missing")
        if path.stat().st_size != size:
            raise LegacyProblem(gen, file, f"truncated or altered ({path.stat().st_size} bytes, expected {size})")
    articles = read_articles(gen)
    by_id = {a.id: a for a in articles}
    try:
        rows = json.loads((gen / "passages.json").read_text(encoding="utf-8"))
        passages = [(aid, int(s), int(e)) for aid, s, e in rows]
        if any(aid not in by_id for aid, _, _ in passages):
            raise ValueError
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError, ValueError):
        raise LegacyProblem(gen, "passages.json", "corrupt") from None
    try:
        vectors = np.load(gen / "vectors.npy", allow_pickle=False)
    except (ValueError, OSError, EOFError):
        raise LegacyProblem(gen, "vectors.npy", "corrupt") from None
    if vectors.shape != (len(passages), dim):
        raise LegacyProblem(gen, "vectors.npy", f"inconsistent (shape {vectors.shape})")
    return LegacyIndex(manifest, articles, passages, vectors)


def read_articles(gen: Path) -> list[Article]:
    try:
        data = json.loads((gen / "articles.json").read_text(encoding="utf-8"))
        return [Article.from_dict(a) for a in data]
    except FileNotFoundError:
        raise LegacyProblem(gen, "articles.json", "missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
        raise LegacyProblem(gen, "articles.json", "corrupt") from None


def generations(directory: Path) -> list[Path]:
    """Legacy generation folders, newest first."""
    return sorted((p for p in directory.iterdir() if p.is_dir() and GEN.match(p.name)), reverse=True)
