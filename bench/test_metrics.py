"""Cheap checks of the benchmark metrics: ``python -m pytest bench/test_metrics.py`` (not in the main suite)."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (contains_answer, exact_match, first_rank, normalize_answer, percentile,  # noqa: E402
                          retrieval_metrics, score_answer, token_f1)
from bench.faiss_scale import recall_at_k  # noqa: E402
from bench.speed import parse_variant, ratio  # noqa: E402


def test_normalize_answer_follows_squad() -> None:
    assert normalize_answer("The  Yankees!") == "yankees"
    assert normalize_answer("an apple, a pear") == "apple pear"
    assert normalize_answer("mid-1980s") == "mid1980s"  # punctuation removed, not split (as the official script)


def test_exact_match_and_f1() -> None:
    assert exact_match("the Yankees.", "Yankees") == 1.0
    assert token_f1("New York Yankees", "Yankees") == pytest.approx(0.5)
    assert token_f1("", "") == 1.0 and token_f1("x", "") == 0.0
    assert token_f1("red red", "red") == pytest.approx(2 * 0.5 * 1 / 1.5)


def test_score_answer_takes_max_over_golds_and_zero_for_abstention() -> None:
    assert score_answer("Yankee", True, ["Yankees", "Yankee"]) == (1.0, 1.0)
    assert score_answer("Yankee", False, ["Yankee"]) == (0.0, 0.0)


def test_contains_answer() -> None:
    assert contains_answer("About 100,000 soldiers.", "100,000")
    assert not contains_answer("NOT FOUND", "Peskov")
    assert contains_answer("50 minutes", "50-minute") and not contains_answer("5 minutes", "50-minute")


def test_retrieval_metrics() -> None:
    assert first_rank(["a", "b", "b"], "b") == 2 and first_rank(["a"], "z") is None
    m = retrieval_metrics([1, 3, None, 10], ks=(1, 3, 10))
    assert m["recall@1"] == 0.25 and m["recall@3"] == 0.5 and m["recall@10"] == 0.75
    assert m["mrr"] == pytest.approx((1 + 1 / 3 + 0.1) / 4)


def test_percentile_matches_numpy_linear() -> None:
    import numpy as np

    values = [5.0, 1.0, 9.0, 3.0, 7.0, 2.0]
    for p in (0, 50, 95, 100):
        assert percentile(values, p) == pytest.approx(float(np.percentile(values, p)))
    assert math.isnan(percentile([], 50))


def test_recall_at_k() -> None:
    import numpy as np

    assert recall_at_k(np.array([[1, 2], [3, 4]]), np.array([[2, 1], [3, 5]])) == pytest.approx(0.75)


def test_speed_variants_and_ratios() -> None:
    assert parse_variant("slots2") == ("slots2", {"engine_slots": 2})
    assert parse_variant("x:engine=transformers,top-k=2,hybrid_weight=0.5") == \
        ("x", {"engine": "transformers", "top_k": 2, "hybrid_weight": 0.5})
    with pytest.raises(ValueError):
        parse_variant("x:nonsense=1")
    assert ratio("time", 10.0, 5.0) == 2.0 and ratio("rate", 10.0, 5.0) == 0.5
    assert ratio("quality", 80.0, 78.5) == pytest.approx(-1.5)
