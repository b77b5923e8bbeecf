"""What choosing whole sentences alone can do against the summary target's baseline, without the model:
key sentences (lead weight w, with or without asides) up to 80 words, each against the article's first N
words at its own length (ROUGE-1/2/L F, rouge-score with stemming). Runs in seconds; tune on the first half.

    python bench/extractive_baselines.py --half first --dataset cnn_dm
    python bench/extractive_baselines.py --half first --dataset xsum --limit 250
"""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python bench/extractive_baselines.py

from bench.common import (ROUGE_TYPES, base_parser, dataset_path, half, limited, load_jsonl, mean,  # noqa: E402
                          print_table, rouge, rouge_scorer, write_results)
from bench.summaries import DATASETS  # noqa: E402

LEAD_WEIGHTS = (0.4, 0.6, 0.8, 1.0)
HEAD_WORDS = 300  # about the 400 tokens summaries read (summary_input_tokens)
BUDGET = 80  # a short summary's words


def head_end(text: str, words: int) -> int:
    """Character offset where the text's first ``words`` words end."""
    spans = [m.end() for _, m in zip(range(words), re.finditer(r"\S+", text))]
    return spans[-1] if spans else len(text)


def main() -> int:
    parser = base_parser(__doc__.splitlines()[0], 0, "articles", config_flags=False)
    parser.add_argument("--dataset", choices=list(DATASETS), default="cnn_dm")
    args = parser.parse_args()
    from qa_bot.articles import IngestError, make_article
    from qa_bot.key_sentences import key_sentences
    from qa_bot.summarizing import SummarySentence, _within, without_asides

    started = time.time()
    file, ref_field, _ = DATASETS[args.dataset]
    articles = []
    for row in limited(half(load_jsonl(dataset_path(args, file)), args.half), args.limit):
        try:
            articles.append((make_article(row["article"], source=args.dataset), row[ref_field]))
        except IngestError:
            continue
    scorer = rouge_scorer()
    rows, results = [], {}
    for weight in LEAD_WEIGHTS:
        for asides in (True, False):
            diffs: dict[str, list[float]] = {k: [] for k in ROUGE_TYPES}
            words = []
            for article, reference in articles:
                key = key_sentences(article.text[:head_end(article.text, HEAD_WORDS)], 3, article.title,
                                    lead_weight=weight)
                lines = [SummarySentence(k.text if asides else without_asides(k.text)) for k in key]
                text = " ".join(line.text for line in _within(lines, BUDGET))  # as summaries fit the budget
                n = len(text.split())
                ours, first_n = rouge(scorer, reference, text), rouge(scorer, reference, " ".join(article.text.split()[:n]))
                for k in ROUGE_TYPES:
                    diffs[k].append(ours[k] - first_n[k])
                words.append(n)
            name = f"lead weight {weight}, {'as written' if asides else 'without asides'}"
            results[name] = {k: mean(v) for k, v in diffs.items()} | {"words": mean(words)}
            rows.append([name, *(mean(diffs[k]) for k in ROUGE_TYPES), mean(words)])
    print_table(f"{args.dataset} ({args.half} half, {len(articles)} articles): whole key sentences against the first "
                f"N words at the same length", ["variant", "R-1 diff", "R-2 diff", "R-L diff", "words"], rows)
    path = write_results("extractive_baselines", args.tag, config=None, limit=args.limit,
                         results={"n": len(articles), "variants": results},
                         params={"half": args.half, "dataset": args.dataset, "budget": BUDGET,
                                 "head_words": HEAD_WORDS}, started=started, out_dir=args.out_dir)
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
