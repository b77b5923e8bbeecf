"""Tune the summary line checks without the model's time: the model's replies are kept per prompt in a JSON
file, so a second run with other check settings (``--set IN_ORDER_MIN=0.6``) re-checks the same replies in
seconds. Prints ROUGE-1/2/L of qa_bot's short summaries against the article's first N words at each
summary's own length. Tune on the first half only.

    python bench/summary_replay.py --half first --limit 38
    python bench/summary_replay.py --half first --limit 38 --set LEFT_OUT_RATIO=3
"""
from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python bench/summary_replay.py

from bench.common import (ROUGE_TYPES, base_parser, dataset_path, half, limited, load_jsonl, mean,  # noqa: E402
                          print_table, rouge, rouge_scorer, setup_logging, write_results)
from bench.summaries import DATASETS  # noqa: E402

DEFAULT_REPLIES = Path(tempfile.gettempdir()) / "qa_bot-summary-replies.json"


class ReplayedGenerator:
    """The summary generator's replies, kept per prompt; the model is loaded only for a prompt not seen."""

    def __init__(self, path: Path, config: Any) -> None:
        self.path, self.config = path, config
        self.replies: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        self.name = "replayed"
        self.real: Any = None
        self.generated = 0

    def _model(self) -> Any:
        if self.real is None:
            from qa_bot import Bot

            self.real = Bot(self.config).summary_generator
        return self.real

    def count_tokens(self, text: str) -> int:
        return self._model().count_tokens(text)

    def stream(self, messages: Sequence[dict[str, str]], tokens: int, background: bool = False) -> Iterator[str]:
        key = hashlib.sha256(json.dumps([messages, tokens]).encode()).hexdigest()
        if key not in self.replies:
            self.replies[key] = "".join(self._model().stream(messages, tokens, background))
            self.path.write_text(json.dumps(self.replies))
            self.generated += 1
        yield self.replies[key]


def main() -> int:
    parser = base_parser(__doc__.splitlines()[0], 38, "articles")
    parser.add_argument("--dataset", choices=list(DATASETS), default="cnn_dm")
    parser.add_argument("--replies", type=Path, default=DEFAULT_REPLIES, help="the JSON file of kept replies")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a module constant of qa_bot.summarizing to change for this run")
    args = parser.parse_args()
    setup_logging(args.verbose)
    import qa_bot.summarizing as summarizing
    from qa_bot.articles import IngestError, make_article
    from qa_bot.config import config_from_args

    for item in args.set:
        name, value = item.split("=", 1)
        if not hasattr(summarizing, name):
            raise SystemExit(f"error: qa_bot.summarizing has no {name}")
        kind = type(getattr(summarizing, name))
        setattr(summarizing, name, value.lower() in ("1", "true", "yes") if kind is bool else kind(value))
    file, ref_field, _ = DATASETS[args.dataset]
    rows = limited(half(load_jsonl(dataset_path(args, file)), args.half), args.limit)
    config = config_from_args(args)
    generator = ReplayedGenerator(args.replies, config)
    scorer = rouge_scorer()
    ours: list[dict[str, float]] = []
    first_n: list[dict[str, float]] = []
    words: list[float] = []
    with tempfile.TemporaryDirectory(prefix="qa_bot-replay-") as tmp:
        summarizer = summarizing.Summarizer(generator, tmp, input_tokens=config.summary_input_tokens)
        for row in rows:
            try:
                article = make_article(row["article"], source=args.dataset)
            except IngestError:
                continue
            summary = summarizer(article, "short")
            n = len(summary.summary.split())
            ours.append(rouge(scorer, row[ref_field], summary.summary))
            first_n.append(rouge(scorer, row[ref_field], " ".join(article.text.split()[:n])))
            words.append(n)
    systems = {"qa_bot": {k: mean([r[k] for r in ours]) for k in ROUGE_TYPES},
               "first N words": {k: mean([r[k] for r in first_n]) for k in ROUGE_TYPES}}
    print_table(f"{args.dataset} ({args.half} half, {len(ours)} articles, {generator.generated} replies generated)"
                f" with {', '.join(args.set) or 'the default checks'}",
                ["system", "R-1", "R-2", "R-L", "words"],
                [[name, s["rouge1"], s["rouge2"], s["rougeL"], mean(words)] for name, s in systems.items()])
    path = write_results("summary_replay", args.tag, config=config, limit=args.limit,
                         results={"systems": systems, "words": mean(words), "n": len(ours)},
                         params={"half": args.half, "dataset": args.dataset, "set": args.set}, out_dir=args.out_dir)
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
