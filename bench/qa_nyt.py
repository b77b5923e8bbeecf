"""Answer quality on SQuADShifts NYT: reading (gold paragraph only), open (retrieval + answers), abstention.

    python bench/qa_nyt.py --mode reading --limit 3
    python bench/qa_nyt.py --mode open --articles 20 --limit 3
    python bench/qa_nyt.py --mode abstain --articles 20 --limit 3
    python bench/qa_nyt.py --mode open --half first --limit 0 --match "^\\s*how long\\b(?! ago)"  # one kind
"""
from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python bench/qa_nyt.py

from bench.common import (QA, QA_HEADERS, SquadArticle, Timer, ask_record, base_parser, bench_config,  # noqa: E402
                          dataset_path, describe_answer, first_rank, half, load_squad, paragraph_articles,
                          print_table, progress, qa_row, qa_summary, read_ahead, retrieval_metrics, sample,
                          setup_logging, write_results)

DATA_FILE = "squadshifts_nyt_dev.json"
KS = (1, 3, 5, 10)


def run_questions(bot: Any, questions: Sequence[QA], ids: dict[tuple[int, int], str],
                  label: str) -> list[dict[str, Any]]:
    """Ask each question over the whole index; records note whether the gold paragraph was cited."""
    records = []
    for n, qa in enumerate(questions, 1):
        record = ask_record(bot, qa.question, qa.answers)
        record["gold_id"] = ids.get((qa.article, qa.paragraph))
        record["cited_gold"] = record["gold_id"] in record["sources"]
        records.append(record)
        progress(f"{label} " + describe_answer(n, len(questions), record))
    return records


# ---- reading mode -------------------------------------------------------------------------------
def reading(bot: Any, articles: list[SquadArticle], questions: list[QA]) -> dict[str, Any]:
    """Each question over an index that holds only its gold paragraph."""
    questions = sorted(questions, key=lambda q: (q.article, q.paragraph))  # one index swap per paragraph
    records, current, loaded = [], [], None
    for n, qa in enumerate(questions, 1):
        if loaded != (qa.article, qa.paragraph):
            if current:
                bot.remove(current)
            paragraph, _ = paragraph_articles(articles, [qa.article])
            current = bot.add_articles([paragraph[qa.paragraph]]) or [paragraph[qa.paragraph].id]
            read_ahead(bot, current)  # as the server does in the background
            loaded = (qa.article, qa.paragraph)
        record = ask_record(bot, qa.question, qa.answers)
        records.append(record)
        progress("reading " + describe_answer(n, len(questions), record))
    summary = qa_summary(records)
    print_table("SQuADShifts NYT, reading mode (index = the gold paragraph only)", QA_HEADERS,
                [qa_row("gold paragraph", summary)])
    return {"answers": summary, "records": records}


# ---- open mode ----------------------------------------------------------------------------------
def retrieval(bot: Any, questions: Sequence[QA], ids: dict[tuple[int, int], str],
              weights: dict[str, float]) -> dict[str, dict[str, float]]:
    """recall@k / MRR of the gold paragraph among the top-10 passages, per lexical weight."""
    out = {}
    for name, weight in weights.items():
        ranks, seconds = [], []
        for qa in questions:
            with Timer() as t:
                hits = bot.index.search(qa.question, k=max(KS), lexical_weight=weight)
            seconds.append(t.seconds)
            ranks.append(first_rank([h.passage.article_id for h in hits], ids[(qa.article, qa.paragraph)]))
        out[name] = {**retrieval_metrics(ranks, KS), "n": len(ranks), "search_ms": 1000 * sum(seconds) / len(seconds)}
        progress(f"retrieval {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in out[name].items()))
    return out


def open_mode(bot: Any, articles: list[SquadArticle], chosen: list[int], limit: int | None, seed: int,
              retrieval_limit: int | None, match: str | None = None) -> dict[str, Any]:
    """All paragraphs of the chosen articles in one index: retrieval, then full-pipeline answers
    (``match``: only questions matching this regular expression, to look at one kind of question)."""
    docs, ids = paragraph_articles(articles, chosen)
    with Timer() as t:
        bot.add_articles(docs)
    progress(f"indexed {len(docs)} paragraphs ({len(bot.index)} passages) in {t.seconds:.1f} s")
    pool = [qa for a in chosen for qa in articles[a].qas if not match or re.search(match, qa.question, re.I)]
    weights = {f"hybrid (w={bot.config.hybrid_weight})": bot.config.hybrid_weight, "dense only": 0.0,
               "BM25 only": 1.0}
    ret = retrieval(bot, sample(pool, retrieval_limit, seed), ids, weights)
    print_table(f"SQuADShifts NYT, open mode: retrieval of the gold paragraph among {len(bot.index)} passages "
                f"({len(docs)} paragraphs of {len(chosen)} articles)",
                ["retriever", "n", *[f"R@{k}" for k in KS], "MRR", "ms/search"],
                [[name, r["n"], *[r[f"recall@{k}"] for k in KS], r["mrr"], r["search_ms"]] for name, r in ret.items()],
                digits=3)
    records = run_questions(bot, sample(pool, limit, seed), ids, "open")
    summary = qa_summary(records)
    summary["cited_gold"] = sum(r["cited_gold"] for r in records) / (len(records) or 1)
    print_table("SQuADShifts NYT, open mode: full-pipeline answers", QA_HEADERS + ["cited gold %"],
                [qa_row("open", summary) + [100 * summary["cited_gold"]]])
    return {"index": {"articles": len(chosen), "paragraphs": len(docs), "passages": len(bot.index),
                      "ingest_s": t.seconds},
            "retrieval": ret, "answers": summary, "records": records}


# ---- abstention mode ----------------------------------------------------------------------------
def abstain_mode(bot: Any, articles: list[SquadArticle], chosen: list[int], limit: int | None,
                 seed: int) -> dict[str, Any]:
    """Index every other article; questions about the missing ones must be abstained."""
    indexed, held_out = chosen[0::2], chosen[1::2]
    docs, ids = paragraph_articles(articles, indexed)
    bot.add_articles(docs)
    progress(f"indexed {len(docs)} paragraphs of {len(indexed)} articles; {len(held_out)} articles held out")
    missing = run_questions(bot, sample([qa for a in held_out for qa in articles[a].qas], limit, seed), ids,
                            "unanswerable")
    present = run_questions(bot, sample([qa for a in indexed for qa in articles[a].qas], limit, seed), ids,
                            "answerable")
    unans, ans = qa_summary(missing), qa_summary(present)
    abstention = 1 - unans["answered"]
    false_abstention = 1 - ans["answered"]
    print_table("SQuADShifts NYT, abstention: questions about articles absent from the index must be abstained",
                ["set", "n", "abstained %", "EM", "F1", "total p50 s", "total p95 s"],
                [["unanswerable: article absent (abstention wanted)", unans["n"], 100 * abstention, "-", "-",
                  unans["total_s"]["p50"], unans["total_s"]["p95"]],
                 ["answerable: article indexed (false abstention)", ans["n"], 100 * false_abstention, ans["em"], ans["f1"],
                  ans["total_s"]["p50"], ans["total_s"]["p95"]]])
    return {"index": {"indexed_articles": len(indexed), "held_out_articles": len(held_out), "paragraphs": len(docs)},
            "abstention_rate": abstention, "false_abstention_rate": false_abstention,
            "unanswerable": unans, "answerable": ans, "records": {"unanswerable": missing, "answerable": present}}


def main() -> int:
    parser = base_parser(__doc__.splitlines()[0], 100, "questions answered by the model (per set in abstain mode)")
    parser.add_argument("--mode", choices=["reading", "open", "abstain"], required=True)
    parser.add_argument("--articles", type=int, default=0,
                        help="open/abstain: index the paragraphs of the first N articles (0: all 400)")
    parser.add_argument("--retrieval-limit", type=int, default=0,
                        help="open: questions for the retrieval metrics (0: all questions of the indexed articles)")
    parser.add_argument("--match", default="", help="open: only questions matching this regular expression "
                        "(case-insensitive), e.g. '^\\s*how long\\b(?! ago)'")
    args = parser.parse_args()
    setup_logging(args.verbose)
    from qa_bot import Bot

    started = time.time()
    articles = half(load_squad(dataset_path(args, DATA_FILE)), args.half)
    for position, article in enumerate(articles):  # questions point at their article's place in this half
        for qa in article.qas:
            qa.article = position
    chosen = list(range(len(articles)))[: args.articles or None]
    with tempfile.TemporaryDirectory(prefix="qa_bot-bench-") as tmp:
        config = bench_config(args, Path(tmp) / "index")
        bot = Bot(config)
        bot.prepare()  # load the models before anything is timed
        if args.mode == "reading":
            results = reading(bot, articles, sample([qa for a in articles for qa in a.qas], args.limit, args.seed))
        elif args.mode == "open":
            results = open_mode(bot, articles, chosen, args.limit, args.seed, args.retrieval_limit, args.match)
        else:
            results = abstain_mode(bot, articles, chosen, args.limit, args.seed)
    path = write_results(f"qa_nyt-{args.mode}", args.tag, config=config, limit=args.limit, results=results,
                         params={"mode": args.mode, "half": args.half, "articles": len(chosen) if args.mode != "reading" else None,
                                 "retrieval_limit": args.retrieval_limit, "seed": args.seed, "match": args.match,
                                 "scoring": "SQuAD v1.1 EM/F1, max over gold answers, abstention scores 0"},
                         started=started, out_dir=args.out_dir)
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
