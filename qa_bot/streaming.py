"""Helpers for the streaming convention: text pieces first, then one final record."""
from __future__ import annotations

from typing import Iterable, TypeVar

T = TypeVar("T")


def final(items: Iterable[object], kind: type[T]) -> T:
    """Consume a stream of text pieces and return its final ``kind`` record."""
    result = None
    for item in items:
        if isinstance(item, kind):
            result = item
    if result is None:
        raise RuntimeError(f"the stream ended without a {kind.__name__}")
    return result
