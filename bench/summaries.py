"""Summary quality, CNN/DailyMail and XSum: ROUGE-1/2/L F of qa_bot's summaries vs lead-3 / lead-1 and vs
the article's first N words at each summary's own length; the share of summary sentences whose source check
passed (the others were replaced by their source sentence) and of sentences with a source.

ROUGE is rouge-score's F-measure with use_stemmer=True and rougeL (not rougeLsum). Every summary is
written afresh (an empty temporary summary cache).

    python bench/summaries.py --limit 2
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python bench/summaries.py

from bench.common import (ROUGE_TYPES, base_parser, bench_config, dataset_path, half, latency, lead,  # noqa: E402
                          limited, load_jsonl, mean, print_table, progress, rouge, rouge_scorer, setup_logging,
                          summarize_one, write_results)

DATASETS = {
    # name: (file, reference field, lead-n baseline)
    "cnn_dm": ("cnn_dm_dev.jsonl", "highlights", 3),
    "xsum": ("xsum_dev.jsonl", "summary", 1),
}


def system_row(name: str, records: Sequence[dict[str, Any]], key: str) -> dict[str, Any]:
    """Mean ROUGE and words of one system (``key`` = 'qa_bot', 'lead' or 'reference')."""
    out = {k: mean([r[key]["rouge"][k] for r in records]) for k in ROUGE_TYPES} if key != "reference" else {}
    out["words"] = mean([r[key]["words"] for r in records])
    out["name"] = name
    return out


def run_dataset(name: str, rows: list[dict[str, Any]], summarizer: Any, scorer: Any, length: str) -> dict[str, Any]:
    """Summaries and lead baseline of each article, then the table."""
    from qa_bot.articles import IngestError, make_article

    file, ref_field, lead_n = DATASETS[name]
    records, skipped = [], 0
    for n, row in enumerate(rows, 1):
        reference = row[ref_field].strip()
        try:
            article = make_article(row["article"], source=name)
        except IngestError as exc:
            skipped += 1
            progress(f"{name} [{n}/{len(rows)}] skipped: {exc}")
            continue
        ours = summarize_one(summarizer, article, length)
        ours["rouge"] = rouge(scorer, reference, ours["summary"])
        baseline = lead(article.text, lead_n)
        first_n = " ".join(article.text.split()[:ours["words"]])
        records.append({
            "article_words": len(article.text.split()),
            "qa_bot": ours,
            "lead": {"summary": baseline, "words": len(baseline.split()), "rouge": rouge(scorer, reference, baseline)},
            "first_n": {"summary": first_n, "words": len(first_n.split()), "rouge": rouge(scorer, reference, first_n)},
            "reference": {"summary": reference, "words": len(reference.split())},
        })
        progress(f"{name} [{n}/{len(rows)}] {ours['total_s']:.1f}s RL {ours['rouge']['rougeL']:.1f} "
                 f"(lead {records[-1]['lead']['rouge']['rougeL']:.1f}) unsupported {ours['unsupported']}: "
                 f"{ours['summary'][:100]!r}")
    ours = [r["qa_bot"] for r in records]
    systems = [system_row(f"qa_bot ({length})", records, "qa_bot"), system_row(f"lead-{lead_n}", records, "lead"),
               system_row("reference", records, "reference"),
               system_row("first N words (N = each summary's length)", records, "first_n")]
    written = sum(r["sentences"] for r in ours)
    checked = sum(r["checked"] for r in ours) / (written or 1)
    cited = sum(r["cited"] for r in ours) / (written or 1)
    unsupported = mean([float(bool(r["unsupported"])) for r in ours])
    first, total = latency([r["first_token_s"] for r in ours if r["first_token_s"] is not None]), \
        latency([r["total_s"] for r in ours])
    print_table(f"{name}: ROUGE F (rouge-score, stemmed, rougeL) over {len(records)} articles "
                f"(mean {mean([r['article_words'] for r in records]):.0f} words)",
                ["system", "R-1", "R-2", "R-L", "words", "unsupported %", "first tok p50 s", "total p50 s",
                 "total p95 s"],
                [[systems[0]["name"], systems[0]["rouge1"], systems[0]["rouge2"], systems[0]["rougeL"],
                  systems[0]["words"], 100 * unsupported, first["p50"], total["p50"], total["p95"]],
                 [systems[1]["name"], systems[1]["rouge1"], systems[1]["rouge2"], systems[1]["rougeL"],
                  systems[1]["words"], "-", "-", "-", "-"],
                 [systems[3]["name"], systems[3]["rouge1"], systems[3]["rouge2"], systems[3]["rougeL"],
                  systems[3]["words"], "-", "-", "-", "-"],
                 [systems[2]["name"], "-", "-", "-", systems[2]["words"], "-", "-", "-", "-"]])
    print_table(f"{name}: summary sentences and their sources ({written} sentences)",
                ["sentences with a source %", "model sentences passing the source check %",
                 "too-short notes"],
                [[100 * cited, 100 * checked, sum(1 for r in ours if r["note"])]])
    return {"n": len(records), "skipped": skipped, "systems": systems, "unsupported_rate": unsupported,
            "sentences": written, "cited_rate": cited, "checked_rate": checked,
            "first_token_s": first, "total_s": total, "records": records}


def main() -> int:
    parser = base_parser(__doc__.splitlines()[0], 20, "articles per dataset")
    parser.add_argument("--dataset", choices=[*DATASETS, "both"], default="both")
    parser.add_argument("--length", choices=["short", "medium", "bullets"], default="short")
    args = parser.parse_args()
    setup_logging(args.verbose)
    from qa_bot import Bot

    started = time.time()
    names = list(DATASETS) if args.dataset == "both" else [args.dataset]
    data = {n: limited(half(load_jsonl(dataset_path(args, DATASETS[n][0])), args.half), args.limit) for n in names}
    scorer = rouge_scorer()
    with tempfile.TemporaryDirectory(prefix="qa_bot-bench-") as tmp:
        # summaries cached in a fresh folder: every one is written
        config = bench_config(args, Path(tmp) / "index", summary_cache_dir=str(Path(tmp) / "cache"))
        summarizer = Bot(config).summarizer
        results = {n: run_dataset(n, data[n], summarizer, scorer, args.length) for n in names}
    path = write_results("summaries", args.tag, config=config, limit=args.limit, results=results,
                         params={"half": args.half, "datasets": names, "length": args.length,
                                 "rouge": "rouge-score F-measure, use_stemmer=True, rouge1/rouge2/rougeL",
                                 "baselines": {n: f"lead-{DATASETS[n][2]}" for n in names}},
                         started=started, out_dir=args.out_dir)
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
