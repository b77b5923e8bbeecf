"""Follow-up questions, CoQA CNN stories: turn-by-turn F1 with the conversation history vs without it.

The history passed is the GOLD history: the earlier questions of the story with their gold answers
(not the bot's own answers), so a turn is not penalised for an earlier mistake.

    python bench/coqa_followups.py --limit 3
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python bench/coqa_followups.py

from bench.common import (Story, ask_record, base_parser, bench_config, dataset_path, half, limited,  # noqa: E402
                          load_coqa, mean, print_table, progress, qa_summary, read_ahead, setup_logging,
                          write_results)

DATA_FILE = "coqa_cnn_dev.json"
YES_NO = {"yes", "no"}


def select_turns(stories: Sequence[Story], turns_per_story: int, limit: int | None) -> list[tuple[int, int]]:
    """(story, turn) pairs: the first ``turns_per_story`` turns of each story in order, then ``limit`` of them."""
    pairs = [(s, t) for s, story in enumerate(stories)
             for t in range(len(story.turns) if turns_per_story <= 0 else min(turns_per_story, len(story.turns)))]
    return limited(pairs, limit)


def gold_history(story: Story, turn: int) -> list[tuple[str, str]]:
    """The earlier (question, first gold answer) pairs of the story."""
    return [(q, golds[0]) for q, golds in story.turns[:turn]]


def run_turn(bot: Any, story: Story, turn: int, article_id: str, without_history: bool = True) -> dict[str, Any]:
    """One turn asked with the gold history and without history, restricted to the story's article."""
    question, golds = story.turns[turn]
    with_h = ask_record(bot, question, golds, history=gold_history(story, turn), article_ids=[article_id])
    # turn 1 has no history: the same answer both ways; --no-without-history skips the comparison run
    without = ask_record(bot, question, golds, article_ids=[article_id]) if turn and without_history else with_h
    return {"story": story.id, "turn": turn + 1, "question": question, "golds": golds,
            "follow_up": with_h["standalone"] is not None, "yes_no": golds[0].strip().lower().rstrip(".") in YES_NO,
            "with_history": with_h, "without_history": without}


def subset_row(name: str, turns: Sequence[dict[str, Any]]) -> list[Any]:
    """name, n, F1 with history, F1 without, difference, answered % both ways."""
    with_h = [t["with_history"] for t in turns]
    without = [t["without_history"] for t in turns]
    f1_h, f1_0 = 100 * mean([r["f1"] for r in with_h]), 100 * mean([r["f1"] for r in without])
    return [name, len(turns), f1_h, f1_0, f1_h - f1_0, 100 * mean([float(r["found"]) for r in with_h]),
            100 * mean([float(r["found"]) for r in without])]


def report(turns: list[dict[str, Any]]) -> dict[str, Any]:
    """Print the tables; return the summaries."""
    subsets = {
        "all turns": turns,
        "turn 1": [t for t in turns if t["turn"] == 1],
        "turns 2+": [t for t in turns if t["turn"] > 1],
        "turns 2+ rewritten as follow-up (qa_bot evidence)": [t for t in turns if t["turn"] > 1 and t["follow_up"]],
        "turns 2+ not flagged": [t for t in turns if t["turn"] > 1 and not t["follow_up"]],
        "gold answer yes/no": [t for t in turns if t["yes_no"]],
    }
    rows = [subset_row(name, sub) for name, sub in subsets.items() if sub]
    print_table("CoQA CNN follow-ups: token F1 (max over gold answers; abstention = 0), GOLD history passed",
                ["turns", "n", "F1 with history", "F1 without", "difference", "answered % with", "answered % without"],
                rows)
    with_h = qa_summary([t["with_history"] for t in turns])
    without = qa_summary([t["without_history"] for t in turns])
    print_table("CoQA CNN follow-ups: seconds per answer", ["asked", "n", "first tok p50", "first tok p95",
                                                            "total p50", "total p95"],
                [[name, s["n"], s["first_token_s"]["p50"], s["first_token_s"]["p95"], s["total_s"]["p50"],
                  s["total_s"]["p95"]] for name, s in (("with history", with_h), ("without history", without))])
    return {"subsets": {row[0]: dict(zip(["n", "f1_with_history", "f1_without_history", "f1_difference",
                                          "answered_with_history", "answered_without_history"], row[1:]))
                        for row in rows},
            "with_history": with_h, "without_history": without}


def main() -> int:
    parser = base_parser(__doc__.splitlines()[0], 100, "turns (each asked twice: with and without history)")
    parser.add_argument("--without-history", action=argparse.BooleanOptionalAction, default=True,
                        help="also ask turns 2+ without history (the comparison column)")
    parser.add_argument("--turns-per-story", type=int, default=0,
                        help="use only the first N turns of each story (0: all), to spread the limit over stories")
    args = parser.parse_args()
    setup_logging(args.verbose)
    from qa_bot import Bot
    from qa_bot.articles import make_article

    started = time.time()
    stories = half(load_coqa(dataset_path(args, DATA_FILE)), args.half)
    pairs = select_turns(stories, args.turns_per_story, args.limit)
    used = sorted({s for s, _ in pairs})
    with tempfile.TemporaryDirectory(prefix="qa_bot-bench-") as tmp:
        config = bench_config(args, Path(tmp) / "index")
        bot = Bot(config)
        bot.prepare()
        docs = {s: make_article(stories[s].story, title=f"CoQA story {stories[s].id}", source="CoQA") for s in used}
        bot.add_articles(list(docs.values()))
        progress(f"indexed {len(docs)} stories ({len(bot.index)} passages); {len(pairs)} turns")
        turns = []
        for n, (s, t) in enumerate(pairs, 1):
            if t == 0 or n == 1:
                read_ahead(bot, [docs[s].id])  # as the server does in the background once a story is added
            turns.append(run_turn(bot, stories[s], t, docs[s].id, args.without_history))
            last = turns[-1]
            progress(f"[{n}/{len(pairs)}] story {s} turn {t + 1} {last['question']!r} gold {last['golds'][0]!r}: "
                     f"with history {last['with_history']['answer']!r} (F1 {last['with_history']['f1']:.2f}"
                     f", as {last['with_history']['standalone']!r}); without {last['without_history']['answer']!r} "
                     f"(F1 {last['without_history']['f1']:.2f})")
    results = {**report(turns), "turns": turns}
    path = write_results("coqa_followups", args.tag, config=config, limit=args.limit, results=results,
                         params={"half": args.half, "turns_per_story": args.turns_per_story, "stories": len(used),
                                 "history": "gold (earlier questions with their first gold answer)",
                                 "scoring": "token F1, max over the gold answers (main + additional), abstention = 0"},
                         started=started, out_dir=args.out_dir)
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
