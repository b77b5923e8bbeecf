"""Speed on this machine, per named configuration ("variant"), each measured in the same run.

Per variant: model load time; answer time to first token / first shown text / total (p50, p95) over the
seed article's questions and over NYT questions; summary time of the seed article and CNN/DM articles
(uncached); ingestion throughput (passages/s); peak memory (getrusage maxrss). A small quality check rides
along (seed answers containing the expected answer, NYT F1, CNN/DM ROUGE-L) since every speed lever must be
checked for quality. Each variant runs in its own Python process, one after the other, so peak memory and
torch settings do not leak between them; every number is also given as a ratio against the first variant.

Variants: a preset name (baseline, transformers, slots2, small, threads1) or NAME:FIELD=VALUE,FIELD=VALUE with qa_bot
Config fields, e.g. ``fast:engine_slots=2,answer_generator=qwen2.5-coder-0.5b``.

    python bench/speed.py --limit 2 --variants baseline
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python bench/speed.py

from bench.common import (SEED_ARTICLE, SEED_QUESTIONS, Timer, ask_record, base_parser, config_dict,  # noqa: E402
                          contains_answer, dataset_path, fmt, latency, load_jsonl, load_squad, mean,
                          paragraph_articles, peak_rss_mb, print_table, progress, read_ahead, rouge, rouge_scorer,
                          sample, setup_logging, summarize_one, timings_of, write_results)

PRESETS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "transformers": {"engine": "transformers"},  # float32 reference engine on the same weights
    "slots2": {"engine_slots": 2},
    "small": {"answer_generator": "qwen2.5-coder-0.5b"},
    "threads1": {"threads": 1},
}


# ---- variants -----------------------------------------------------------------------------------
def parse_value(kind: Any, raw: str) -> Any:
    """A Config field value from text, by the field's declared type."""
    name = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    if name == "bool":
        if raw.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            raise ValueError(f"not a boolean: {raw!r}")
        return raw.lower() in ("1", "true", "yes", "on")
    return {"int": int, "float": float}.get(name, str)(raw)


def parse_variant(spec: str) -> tuple[str, dict[str, Any]]:
    """'slots2' (a preset) or 'name:field=value,field=value' -> (name, Config overrides)."""
    from qa_bot import Config

    if ":" not in spec:
        if spec not in PRESETS:
            raise ValueError(f"unknown variant {spec!r}: presets are {', '.join(PRESETS)}, or NAME:FIELD=VALUE,...")
        return spec, dict(PRESETS[spec])
    name, _, settings = spec.partition(":")
    kinds = {f.name: f.type for f in dataclasses.fields(Config)}
    overrides = {}
    for item in filter(None, (s.strip() for s in settings.split(","))):
        key, _, raw = item.partition("=")
        key = key.strip().replace("-", "_")
        if key not in kinds:
            raise ValueError(f"unknown setting {key!r} in variant {name!r}")
        overrides[key] = parse_value(kinds[key], raw.strip())
    return name, overrides


# ---- one variant (worker process) ---------------------------------------------------------------
def seed_answers(bot: Any, count: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Seed article alone in the index: one warm-up question, then ``count`` timed ones."""
    from qa_bot.articles import make_article

    seed = make_article(SEED_ARTICLE.read_text(encoding="utf-8"), source=SEED_ARTICLE.name)
    bot.add_articles([seed])
    read_s = None
    if bot.config.read_ahead_tokens:
        read_s = read_ahead(bot, [seed.id])
        progress(f"  seed article read ahead in {read_s:.1f} s")
    warm = ask_record(bot, SEED_QUESTIONS[-1][0], [SEED_QUESTIONS[-1][1]])
    progress(f"  warm-up answer {warm['total_s']:.1f} s")
    records = []
    for question, expected in SEED_QUESTIONS[:count]:
        r = ask_record(bot, question, [expected])
        r["correct"] = r["found"] and contains_answer(r["answer"], expected)
        records.append(r)
        progress(f"  seed {r['total_s']:.1f} s (first token {r['first_token_s'] or 0:.1f} s) {question!r} -> {r['answer']!r}")
    return {"warmup_s": warm["total_s"], "read_ahead_s": read_s, "article": seed}, records


def ingest_nyt(bot: Any, job: dict[str, Any]) -> tuple[dict[str, Any], list[Any], dict]:
    """Add the paragraphs of the first NYT articles; passages per second."""
    articles = load_squad(Path(job["data_dir"]) / "squadshifts_nyt_dev.json")
    chosen = list(range(min(job["ingest_articles"], len(articles))))
    docs, ids = paragraph_articles(articles, chosen)
    before = len(bot.index)
    with Timer() as t:
        bot.add_articles(docs)
    added = len(bot.index) - before
    progress(f"  ingested {len(docs)} paragraphs = {added} passages in {t.seconds:.1f} s")
    pool = [qa for a in chosen for qa in articles[a].qas]
    return {"paragraphs": len(docs), "passages": added, "seconds": t.seconds,
            "passages_per_s": added / t.seconds}, pool, ids


def summaries(bot: Any, seed_article: Any, job: dict[str, Any]) -> dict[str, Any]:
    """Uncached short summaries of the seed article and of CNN/DM articles."""
    from qa_bot.articles import make_article

    summarizer = bot.summarizer  # its cache is a fresh temporary folder: every summary is written
    seed = summarize_one(summarizer, seed_article, "short")
    progress(f"  seed summary {seed['total_s']:.1f} s: {seed['summary'][:80]!r}")
    scorer, cnn = rouge_scorer(), []
    for row in load_jsonl(Path(job["data_dir"]) / "cnn_dm_dev.jsonl")[: job["cnn_articles"]]:
        r = summarize_one(summarizer, make_article(row["article"], source="cnn_dm"), "short")
        r["rougeL"] = rouge(scorer, row["highlights"], r["summary"])["rougeL"]
        cnn.append(r)
        progress(f"  CNN/DM summary {r['total_s']:.1f} s RL {r['rougeL']:.1f}")
    return {"seed": seed, "cnn_dm": cnn}


def run_variant(job: dict[str, Any]) -> dict[str, Any]:
    """Everything measured for one configuration."""
    from qa_bot import Bot, Config

    with tempfile.TemporaryDirectory(prefix="qa_bot-bench-") as tmp:
        config = Config(**job["config"]).replace(index_dir=Path(tmp) / "index",
                                                 summary_cache_dir=str(Path(tmp) / "summary-cache"))
        bot = Bot(config)
        with Timer() as load:
            bot.prepare()
        progress(f"  models loaded in {load.seconds:.1f} s")
        warm, seed_records = seed_answers(bot, job["seed_questions"])
        ingest, pool, ids = ingest_nyt(bot, job)
        nyt_records = []
        for qa in sample(pool, None, job["seed"])[: job["nyt_questions"]]:
            nyt_records.append(ask_record(bot, qa.question, qa.answers))
            progress(f"  NYT {nyt_records[-1]['total_s']:.1f} s F1 {nyt_records[-1]['f1']:.2f}")
        summ = summaries(bot, warm["article"], job)
        return {
            "config": config_dict(config),
            "load_s": load.seconds,
            "warmup_answer_s": warm["warmup_s"],
            "read_ahead_s": warm["read_ahead_s"],
            "seed_answers": answer_stats(seed_records),
            "nyt_answers": answer_stats(nyt_records),
            "seed_correct": mean([float(r["correct"]) for r in seed_records]),
            "nyt_f1": 100 * mean([r["f1"] for r in nyt_records]),
            "ingest": ingest,
            "seed_summary": {k: summ["seed"][k] for k in ("first_token_s", "total_s", "words", "unsupported", "summary")},
            "cnn_summaries": {"first_token_s": latency(timings_of(summ["cnn_dm"], "first_token_s")),
                              "total_s": latency(timings_of(summ["cnn_dm"], "total_s")),
                              "rougeL": mean([r["rougeL"] for r in summ["cnn_dm"]]),
                              "words": mean([r["words"] for r in summ["cnn_dm"]])},
            "peak_rss_mb": peak_rss_mb(),
            "records": {"seed": seed_records, "nyt": nyt_records, "cnn_dm": summ["cnn_dm"]},
        }


def answer_stats(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {k: latency(timings_of(records, k)) for k in ("first_token_s", "first_piece_s", "total_s")}


def worker(job_file: Path) -> int:
    """Run one variant described by a JSON job file; write the result next to it."""
    job = json.loads(job_file.read_text())
    setup_logging(job.get("verbose", False))
    result = run_variant(job)
    job_file.with_suffix(".out.json").write_text(json.dumps(result, default=str))
    return 0


# ---- the comparison (parent process) ------------------------------------------------------------
# (label, path into a variant's result, kind): "time" -> speed-up = first / this; "rate" -> this / first;
# "mem" -> this / first; "quality" -> shown as is, with the difference to the first.
METRICS = [
    ("model load s", ("load_s",), "time"),
    ("seed article read ahead s (background)", ("read_ahead_s",), "time"),
    ("seed answer first token p50 s", ("seed_answers", "first_token_s", "p50"), "time"),
    ("seed answer first token p95 s", ("seed_answers", "first_token_s", "p95"), "time"),
    ("seed answer first text p50 s", ("seed_answers", "first_piece_s", "p50"), "time"),
    ("seed answer total p50 s", ("seed_answers", "total_s", "p50"), "time"),
    ("seed answer total p95 s", ("seed_answers", "total_s", "p95"), "time"),
    ("NYT answer first token p50 s", ("nyt_answers", "first_token_s", "p50"), "time"),
    ("NYT answer first token p95 s", ("nyt_answers", "first_token_s", "p95"), "time"),
    ("NYT answer total p50 s", ("nyt_answers", "total_s", "p50"), "time"),
    ("NYT answer total p95 s", ("nyt_answers", "total_s", "p95"), "time"),
    ("seed summary first token s", ("seed_summary", "first_token_s"), "time"),
    ("seed summary total s", ("seed_summary", "total_s"), "time"),
    ("CNN/DM summary total p50 s", ("cnn_summaries", "total_s", "p50"), "time"),
    ("CNN/DM summary total p95 s", ("cnn_summaries", "total_s", "p95"), "time"),
    ("ingestion passages/s", ("ingest", "passages_per_s"), "rate"),
    ("peak memory MB", ("peak_rss_mb",), "mem"),
    ("seed answers correct %", ("seed_correct",), "quality%"),
    ("NYT F1", ("nyt_f1",), "quality"),
    ("CNN/DM ROUGE-L", ("cnn_summaries", "rougeL"), "quality"),
]


def pick(result: dict[str, Any], path: tuple[str, ...]) -> float | None:
    value: Any = result
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value if isinstance(value, (int, float)) else None


def ratio(kind: str, base: float | None, value: float | None) -> float | None:
    """Speed-up (time), ratio (rate, memory) or difference (quality) against the first variant."""
    if base is None or value is None or value != value or base != base:
        return None
    if kind.startswith("quality"):
        return value - base
    if kind == "time":
        return base / value if value else None
    return value / base if base else None


def compare(names: list[str], results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Print the comparison table; return {variant: {metric: {"value", "vs_first"}}}."""
    first = names[0]
    table, rows = {n: {} for n in names}, []
    for label, path, kind in METRICS:
        base = pick(results.get(first, {}), path)
        row: list[Any] = [label]
        for n in names:
            value = pick(results.get(n, {}), path)
            if kind == "quality%" and value is not None:
                value *= 100
            rel = ratio(kind, base * 100 if kind == "quality%" and base is not None else base, value)
            table[n][label] = {"value": value, "vs_first": rel, "kind": kind}
            cell = fmt(value)
            if n != first and rel is not None:
                cell += f" ({rel:+.1f})" if kind.startswith("quality") else f" (x{rel:.2f})"
            row.append(cell)
        rows.append(row)
    print_table(f"Speed per variant; in brackets against '{first}': x speed-up for times (>1 = faster), "
                "x ratio for throughput and memory, +/- difference for quality", ["metric", *names], rows)
    return table


def job_for(args: argparse.Namespace, overrides: dict[str, Any], limit: int | None) -> dict[str, Any]:
    from qa_bot.config import config_from_args

    config = config_from_args(args).replace(**overrides)
    cap = (lambda n: min(n, limit)) if limit else (lambda n: n)
    return {"config": config_dict(config), "data_dir": str(args.data_dir), "seed": args.seed,
            "verbose": args.verbose, "seed_questions": cap(min(args.seed_questions, len(SEED_QUESTIONS))),
            "nyt_questions": cap(args.nyt_questions), "cnn_articles": cap(args.cnn_articles),
            "ingest_articles": args.ingest_articles}


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        return worker(Path(sys.argv[2]))
    parser = base_parser(__doc__.splitlines()[0], 0, "cap on every sample count below")
    parser.add_argument("--variants", nargs="+", default=["baseline"],
                        help=f"presets ({', '.join(PRESETS)}) or NAME:FIELD=VALUE,...; the first is the reference")
    parser.add_argument("--seed-questions", type=int, default=len(SEED_QUESTIONS), help="seed-article questions")
    parser.add_argument("--nyt-questions", type=int, default=20, help="NYT questions (over the ingested paragraphs)")
    parser.add_argument("--cnn-articles", type=int, default=5, help="CNN/DM articles summarised")
    parser.add_argument("--ingest-articles", type=int, default=40, help="NYT articles whose paragraphs are ingested")
    args = parser.parse_args()
    setup_logging(args.verbose)
    dataset_path(args, "squadshifts_nyt_dev.json"), dataset_path(args, "cnn_dm_dev.jsonl")
    try:
        variants = [parse_variant(v) for v in args.variants]
    except ValueError as exc:
        parser.error(str(exc))
    names = [n for n, _ in variants]
    if len(set(names)) != len(names):
        parser.error("variant names must be unique")
    started = time.time()
    results, jobs = {}, {}
    with tempfile.TemporaryDirectory(prefix="qa_bot-bench-speed-") as tmp:
        for name, overrides in variants:
            jobs[name] = job_for(args, overrides, args.limit)
            job_file = Path(tmp) / f"{name}.json"
            job_file.write_text(json.dumps(jobs[name]))
            progress(f"variant {name}: {overrides or 'defaults'}")
            proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", str(job_file)])
            out = job_file.with_suffix(".out.json")
            if proc.returncode != 0 or not out.exists():
                progress(f"variant {name} failed (exit code {proc.returncode})")
                results[name] = {"error": f"worker exit code {proc.returncode}"}
                continue
            results[name] = json.loads(out.read_text())
    table = compare(names, results)
    path = write_results("speed", args.tag, config={n: o for n, o in variants}, limit=args.limit,
                         results={"variants": names, "comparison": table, "per_variant": results},
                         params={"jobs": jobs}, started=started, out_dir=args.out_dir)
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
