"""Embedding arithmetic: float32 against bfloat16, in one process on the same passages.

Speed: passages/s of the embedder over real news passages (CNN/DailyMail dev), the two dtypes
alternated ``--rounds`` times so that other load on the machine hits both alike; the ratio is the figure.
Quality: the same NYT questions retrieved dense-only over the same paragraphs with each dtype's vectors
(recall@k of the gold paragraph), the cosine between a passage's two vectors, and the overlap of each
passage's nearest neighbours.

    python bench/embed_dtype.py --passages 800 --questions 300 --json bench/results/embed_dtype.json
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python bench/embed_dtype.py

from bench.common import (DEFAULT_DATA_DIR, load_jsonl, load_squad, machine_info, mean, print_table,  # noqa: E402
                          progress, retrieval_metrics, setup_logging)

KS = (1, 3, 5, 10)


def news_passages(count: int) -> list[str]:
    from qa_bot.chunking import chunk_article

    out: list[str] = []
    for n, item in enumerate(load_jsonl(DEFAULT_DATA_DIR / "cnn_dm_dev.jsonl")):
        out += [p.text for p in chunk_article(str(n), item["article"])]
        if len(out) >= count:
            break
    return out[:count]


def speed(embedders: dict[str, Any], passages: list[str], rounds: int) -> dict[str, list[float]]:
    """Passages/s per dtype, alternating."""
    out: dict[str, list[float]] = {name: [] for name in embedders}
    for r in range(rounds):
        for name, embed in embedders.items():
            start = time.perf_counter()
            embed(passages)
            out[name].append(len(passages) / (time.perf_counter() - start))
            progress(f"round {r + 1}: {name} {out[name][-1]:.1f} passages/s")
    return out


def retrieval(embedders: dict[str, Any], questions: int) -> dict[str, dict[str, float]]:
    """Dense-only recall@k of the gold paragraph among all paragraphs of the NYT dev split."""
    articles = load_squad(DEFAULT_DATA_DIR / "squadshifts_nyt_dev.json")
    paragraphs, where = [], {}
    for a, article in enumerate(articles):
        for p, text in enumerate(article.paragraphs):
            where[(a, p)] = len(paragraphs)
            paragraphs.append(text)
    qas = [qa for article in articles for qa in article.qas]
    step = max(1, len(qas) // questions)
    qas = qas[::step][:questions]
    out = {}
    for name, embed in embedders.items():
        docs = embed(paragraphs)
        queries = embed([qa.question for qa in qas])
        top = np.argsort(-(queries @ docs.T), axis=1)[:, :max(KS)]
        ranks = []
        for qa, row in zip(qas, top):
            hits = np.flatnonzero(row == where[(qa.article, qa.paragraph)])
            ranks.append(int(hits[0]) + 1 if len(hits) else None)
        out[name] = {**retrieval_metrics(ranks, KS), "n": len(ranks), "paragraphs": len(paragraphs)}
        out[name]["vectors"] = docs
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=800)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    setup_logging(False)
    from qa_bot.embedder import Embedder, bf16_fast

    started = time.time()
    embedders = {dtype: Embedder(dtype=dtype) for dtype in ("float32", "bfloat16")}
    passages = news_passages(args.passages)
    for embed in embedders.values():
        embed(passages[:64])  # warm up
    rates = speed(embedders, passages, args.rounds)
    ret = retrieval(embedders, args.questions)
    a, b = ret["float32"].pop("vectors"), ret["bfloat16"].pop("vectors")
    cosine = (a * b).sum(axis=1)
    near_a = np.argsort(-(a[:2000] @ a[:2000].T), axis=1)[:, 1:6]
    near_b = np.argsort(-(b[:2000] @ b[:2000].T), axis=1)[:, 1:6]
    overlap = mean([len(set(x) & set(y)) / 5 for x, y in zip(near_a, near_b)])
    ratio = mean(rates["bfloat16"]) / mean(rates["float32"])
    print_table(f"Embedding speed, {len(passages)} news passages, {args.rounds} alternating rounds "
                f"(bf16 in hardware here: {bf16_fast()})",
                ["dtype", "passages/s per round", "mean", "vs float32"],
                [[name, ", ".join(f"{r:.1f}" for r in rs), mean(rs), mean(rs) / mean(rates["float32"])]
                 for name, rs in rates.items()])
    print_table(f"Dense retrieval of the gold paragraph, NYT dev ({ret['float32']['paragraphs']} paragraphs)",
                ["dtype", "n", *[f"R@{k}" for k in KS], "MRR"],
                [[name, r["n"], *[r[f"recall@{k}"] for k in KS], r["mrr"]] for name, r in ret.items()], digits=3)
    print(f"\ncosine(float32, bfloat16) per paragraph: min {cosine.min():.4f}, mean {cosine.mean():.4f}; "
          f"top-5 neighbours shared: {100 * overlap:.1f} %")
    if args.json:
        import json

        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "script": "embed_dtype", "command": " ".join(sys.argv), "duration_s": time.time() - started,
            "machine": machine_info(), "results": {
                "passages_per_s": rates, "bf16_vs_fp32": ratio, "retrieval": ret,
                "cosine_min": float(cosine.min()), "cosine_mean": float(cosine.mean()),
                "top5_neighbours_shared": overlap}}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
