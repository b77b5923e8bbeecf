"""Shared pieces of the benchmark scripts: data loading, metrics, statistics, tables, machine info, results."""
from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import math
import os
import platform
import random
import re
import resource
import string
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Sequence

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
DEFAULT_DATA_DIR = Path(os.environ.get("QA_BOT_BENCH_DATA", PROJECT_ROOT.parent / "shared" / "data"))
SEED_ARTICLE = PROJECT_ROOT / "seeds" / "biden-putin-ukraine-call.txt"

# Factual questions about the seed article with a short expected answer (checked after normalisation).
SEED_QUESTIONS: list[tuple[str, str]] = [
    ("How many soldiers has Russia moved near Ukraine?", "100,000"),
    ("Who is the Kremlin spokesman?", "Peskov"),
    ("When will US and Russian officials hold talks in Geneva?", "Jan. 10"),
    ("Who did Antony Blinken speak to on Wednesday?", "Zelensky"),
    ("When did Russian troops invade Crimea?", "2014"),
    ("Who requested the call?", "Russian officials"),
    ("How long was Thursday's conversation between Biden and Putin?", "50-minute"),
    ("On what date did Biden and Putin hold a video call?", "December 7"),
]


# ---- data --------------------------------------------------------------------------------------
@dataclass
class QA:
    """One SQuAD question with its gold answers and where its paragraph is."""

    id: str
    question: str
    answers: list[str]
    article: int  # index of the article in the file
    paragraph: int  # index of the paragraph inside the article


@dataclass
class SquadArticle:
    """A SQuAD article: its title (an URL for SQuADShifts) and paragraph texts."""

    title: str
    paragraphs: list[str]
    qas: list[QA] = field(default_factory=list)


@dataclass
class Story:
    """A CoQA story with its conversation: (question, gold answers) per turn."""

    id: str
    story: str
    turns: list[tuple[str, list[str]]]


def load_squad(path: Path) -> list[SquadArticle]:
    """SQuAD v1.1 JSON as articles with their questions."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    articles = []
    for a, item in enumerate(data):
        article = SquadArticle(item.get("title", f"article {a}"), [p["context"] for p in item["paragraphs"]])
        for p, para in enumerate(item["paragraphs"]):
            for qa in para["qas"]:
                golds = list(dict.fromkeys(ans["text"] for ans in qa["answers"]))
                article.qas.append(QA(qa["id"], qa["question"], golds, a, p))
        articles.append(article)
    return articles


def load_coqa(path: Path) -> list[Story]:
    """CoQA stories; each turn's gold answers are the main answer plus the additional annotators'."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    stories = []
    for item in data:
        extra = list((item.get("additional_answers") or {}).values())
        turns = []
        for n, (q, ans) in enumerate(zip(item["questions"], item["answers"])):
            golds = [ans["input_text"]] + [alt[n]["input_text"] for alt in extra if n < len(alt)]
            turns.append((q["input_text"], list(dict.fromkeys(g for g in golds if g.strip()))))
        stories.append(Story(str(item.get("id", len(stories))), item["story"], turns))
    return stories


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    """One JSON object per non-empty line."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def limited(items: Sequence[Any], limit: int | None) -> list[Any]:
    """The first ``limit`` items (all when limit is None or <= 0)."""
    return list(items) if not limit or limit <= 0 else list(items[:limit])


def half(items: Sequence[Any], which: str | None) -> list[Any]:
    """The first or second half of a dev split (``which`` None or "all": all of it). Tune on the first
    half; report the second, untouched."""
    items = list(items)
    if not which or which == "all":
        return items
    middle = (len(items) + 1) // 2
    return items[:middle] if which == "first" else items[middle:]


def sample(items: Sequence[Any], limit: int | None, seed: int = 0) -> list[Any]:
    """A reproducible random sample of ``limit`` items (all, shuffled, when limit is None or <= 0)."""
    order = list(items)
    random.Random(seed).shuffle(order)
    return limited(order, limit)


# ---- SQuAD metrics -----------------------------------------------------------------------------
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCT = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD v1.1 normalisation: lower case, no punctuation, no articles (a/an/the), single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD token F1 between two answers after normalisation."""
    pred, ref = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    common = collections.Counter(pred) & collections.Counter(ref)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(pred), overlap / len(ref)
    return 2 * precision * recall / (precision + recall)


def best_score(metric, prediction: str, golds: Iterable[str]) -> float:
    """Max of ``metric(prediction, gold)`` over the gold answers (0 without golds)."""
    return max((metric(prediction, g) for g in golds), default=0.0)


def score_answer(prediction: str, found: bool, golds: Sequence[str]) -> tuple[float, float]:
    """(EM, F1) of one answer; an abstention (found=False) scores 0."""
    if not found:
        return 0.0, 0.0
    return best_score(exact_match, prediction, golds), best_score(token_f1, prediction, golds)


def contains_answer(prediction: str, expected: str) -> bool:
    """Does the normalised prediction contain the normalised expected answer? Hyphens count as spaces
    and a plural matches ("50 minutes" contains "50-minute")."""
    def words(text: str) -> str:
        return normalize_answer(text.replace("-", " "))

    return words(expected) in words(prediction)


# ---- retrieval metrics -------------------------------------------------------------------------
def first_rank(ranked_ids: Sequence[str], gold: str) -> int | None:
    """1-based rank of the first occurrence of ``gold`` (None if absent)."""
    for n, item in enumerate(ranked_ids, 1):
        if item == gold:
            return n
    return None


def retrieval_metrics(ranks: Sequence[int | None], ks: Sequence[int] = (1, 3, 5, 10)) -> dict[str, float]:
    """recall@k and MRR (reciprocal rank, 0 when not retrieved) from 1-based ranks."""
    n = len(ranks) or 1
    out = {f"recall@{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in ks}
    out["mrr"] = sum(1.0 / r for r in ranks if r is not None) / n
    return out


# ---- statistics --------------------------------------------------------------------------------
def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (p in 0..100) as numpy's default; NaN for no values."""
    if not values:
        return math.nan
    xs = sorted(values)
    pos = (len(xs) - 1) * p / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def latency(values: Sequence[float]) -> dict[str, float]:
    """n, mean, p50, p95 and max of some durations."""
    return {"n": len(values), "mean": mean(values), "p50": percentile(values, 50),
            "p95": percentile(values, 95), "max": max(values) if values else math.nan}


def timings_of(records: Sequence[dict[str, Any]], key: str) -> list[float]:
    """The values of ``key`` in records that have it (e.g. first_token_s is absent on early abstentions)."""
    return [r[key] for r in records if r.get(key) is not None]


class Timer:
    """``with Timer() as t: ...; t.seconds``"""

    def __enter__(self) -> "Timer":
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: Any) -> None:
        self.seconds = time.perf_counter() - self.start


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (getrusage maxrss), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb() -> float:
    """Current resident memory of this process, in MB (Linux /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return math.nan


# ---- machine and run description ---------------------------------------------------------------
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return math.nan


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info() -> dict[str, Any]:
    """CPU model, usable cores, RAM, OS, Python and library versions, the code's git commit."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "ram_gb": _ram_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "torch": _version("torch"),
        "transformers": _version("transformers"),
        "faiss": _version("faiss-cpu"),
        "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--", "qa_bot")),
    }


def config_dict(config: Any) -> dict[str, Any]:
    """A Config (dataclass) as JSON-ready values."""
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(config).items()}


def _json_ready(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 6)
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _json_ready(dataclasses.asdict(value))
    return value


def write_results(script: str, tag: str | None, *, config: Any, limit: Any, results: dict[str, Any],
                  params: dict[str, Any] | None = None, started: float | None = None,
                  out_dir: Path = RESULTS_DIR) -> Path:
    """Write ``bench/results/<script>[-<tag>].json`` (atomically) and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    name = script + (f"-{tag}" if tag else "")
    record = {
        "script": script,
        "tag": tag,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "duration_s": None if started is None else time.time() - started,
        "limit": limit,
        "params": params or {},
        "config": config_dict(config) if dataclasses.is_dataclass(config) else config,
        "machine": machine_info(),
        "results": results,
        "tables": list(TABLES),
    }
    path = out_dir / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(_json_ready(record), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


# ---- output ------------------------------------------------------------------------------------
TABLES: list[dict[str, str]] = []  # every table printed by this process, saved with the results


def fmt(value: Any, digits: int = 2) -> str:
    """A table cell: floats rounded, NaN/None as '-'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], digits: int = 2) -> None:
    """Print an aligned plain-text table (a Markdown pipe table, so it can be pasted into the README)."""
    cells = [[fmt(c, digits) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) if cells else len(str(h))
              for i, h in enumerate(headers)]
    lines = ["| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
    TABLES.append({"title": title, "markdown": "\n".join(lines)})
    print(f"\n{title}")
    print("\n".join(lines))
    sys.stdout.flush()


def progress(message: str) -> None:
    """A progress line on standard error (keeps standard output for the tables)."""
    print(message, file=sys.stderr, flush=True)


def latency_rows(named: dict[str, Sequence[float]]) -> list[list[Any]]:
    """Table rows (name, n, p50, p95, mean) for several series of durations."""
    rows = []
    for name, values in named.items():
        s = latency(values)
        rows.append([name, s["n"], s["p50"], s["p95"], s["mean"]])
    return rows


LATENCY_HEADERS = ["seconds", "n", "p50", "p95", "mean"]


# ---- command line ------------------------------------------------------------------------------
def base_parser(description: str, limit_default: int | None, limit_help: str,
                config_flags: bool = True) -> argparse.ArgumentParser:
    """A parser with --limit, --tag, --data-dir, --seed, --out-dir and (optionally) every qa_bot setting."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--limit", type=int, default=limit_default, help=limit_help + " (0: all)")
    parser.add_argument("--tag", default=None, help="names this variant: results go to <script>-<tag>.json")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="folder of the evaluation data (env QA_BOT_BENCH_DATA)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the question sample")
    parser.add_argument("--half", choices=["first", "second", "all"], default="all",
                        help="which half of the dev split: tune on the first, report the second")
    parser.add_argument("--out-dir", type=Path, default=RESULTS_DIR, help="where the JSON results go")
    parser.add_argument("-v", "--verbose", action="store_true", help="qa_bot's log messages on stderr")
    if config_flags:
        from qa_bot.config import add_config_flags

        add_config_flags(parser)
    return parser


def setup_logging(verbose: bool) -> None:
    """Quiet libraries; qa_bot's logs, with the reasons for each answer (DEBUG), only with --verbose."""
    import logging

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if verbose:
        logging.getLogger("qa_bot").setLevel(logging.DEBUG)
    for noisy in ("httpx", "urllib3", "transformers", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def bench_config(args: argparse.Namespace, index_dir: Path, **overrides: Any):
    """The qa_bot Config of the flags/environment, with the index in ``index_dir`` (a temporary folder)."""
    from qa_bot.config import config_from_args

    return config_from_args(args).replace(index_dir=Path(index_dir), **overrides)


def dataset_path(args: argparse.Namespace, name: str) -> Path:
    """A data file, with a clear error when the data folder is elsewhere."""
    path = Path(args.data_dir) / name
    if not path.is_file():
        raise SystemExit(f"error: {path} not found (set --data-dir or QA_BOT_BENCH_DATA)")
    return path


# ---- qa_bot helpers ------------------------------------------------------------------------------
def paragraph_articles(articles: Sequence[SquadArticle], which: Iterable[int]) -> tuple[list[Any], dict[tuple[int, int], str]]:
    """Each paragraph of the chosen SQuAD articles as its own qa_bot Article, and (article, paragraph) -> id."""
    from qa_bot.articles import make_article

    out, ids = [], {}
    for a in which:
        for p, text in enumerate(articles[a].paragraphs):
            article = make_article(text, title=f"{articles[a].title} #{p + 1}", source=articles[a].title)
            out.append(article)
            ids[(a, p)] = article.id
    return out, ids


def read_ahead(bot: Any, article_ids: Sequence[str]) -> float:
    """Read articles ahead as the chat server does in the background after they are added (when
    ``read_ahead_tokens`` is on): questions about them then skip reading them. Returns the seconds taken."""
    if not bot.config.read_ahead_tokens:
        return 0.0
    with Timer() as t:
        for article_id in article_ids:
            bot.answerer.read_ahead(article_id)
    return t.seconds


def ask_record(bot: Any, question: str, golds: Sequence[str], history: Any = None,
               article_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """Ask (streamed), score against the gold answers (EM/F1, abstention = 0) and keep the timings:
    first_token_s = the model's first token (qa_bot's timing), first_piece_s = first text shown to a user."""
    from qa_bot import Answer

    answer, first_piece = None, None
    with Timer() as t:
        for item in bot.ask_stream(question, history=history, article_ids=article_ids):
            if isinstance(item, Answer):
                answer = item
            elif first_piece is None:
                first_piece = time.perf_counter() - t.start
    assert answer is not None
    if first_piece is None:  # nothing streamed (short answer or abstention): the text shows at the end
        first_piece = t.seconds
    em, f1 = score_answer(answer.answer, answer.found, golds)
    return {
        "question": question,
        "standalone": answer.standalone_question if answer.standalone_question != question else None,
        "golds": list(golds),
        "answer": answer.answer,
        "found": answer.found,
        "em": em,
        "f1": f1,
        "sources": [s.article_id for s in answer.sources],
        "context": answer.context,
        "first_token_s": answer.timings.get("first_token_s"),
        "first_piece_s": first_piece,
        "total_s": t.seconds,
    }


def qa_summary(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """EM, F1 (percent), answered share and time per question of scored ask records."""
    n = len(records)
    return {
        "n": n,
        "em": 100 * mean([r["em"] for r in records]),
        "f1": 100 * mean([r["f1"] for r in records]),
        "answered": mean([float(r["found"]) for r in records]),
        "whole_article": mean([float(r.get("context") == "article") for r in records]),
        "first_token_s": latency(timings_of(records, "first_token_s")),
        "total_s": latency(timings_of(records, "total_s")),
    }


def qa_row(name: str, s: dict[str, Any]) -> list[Any]:
    """A table row for :func:`qa_summary`."""
    return [name, s["n"], s["em"], s["f1"], 100 * s["answered"], 100 * s.get("whole_article", 0.0),
            s["first_token_s"]["p50"],
            s["first_token_s"]["p95"], s["total_s"]["p50"], s["total_s"]["p95"]]


QA_HEADERS = ["set", "n", "EM", "F1", "answered %", "whole article %", "first tok p50 s", "first tok p95 s", "total p50 s",
              "total p95 s"]


def describe_answer(n: int, total: int, record: dict[str, Any]) -> str:
    """One progress line for an answered question."""
    return (f"[{n}/{total}] F1 {record['f1']:.2f} {record['total_s']:.1f}s  {record['question'][:70]!r} -> "
            f"{record['answer'][:70]!r} (gold {record['golds'][0][:40]!r})")



# ---- summaries -----------------------------------------------------------------------------------
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


def rouge_scorer():
    from rouge_score import rouge_scorer as rs

    return rs.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)


def rouge(scorer: Any, reference: str, prediction: str) -> dict[str, float]:
    """ROUGE F-measures (percent) of one prediction."""
    scores = scorer.score(reference, prediction)
    return {k: 100 * scores[k].fmeasure for k in ROUGE_TYPES}


def lead(text: str, n: int) -> str:
    """The first ``n`` sentences of an article (qa_bot's sentence splitter)."""
    from qa_bot.chunking import split_sentences

    return " ".join(text[s:e] for s, e in split_sentences(text)[:n])


def summarize_one(summarizer: Any, article: Any, length: str) -> dict[str, Any]:
    """Stream one summary; time to first piece and in total, words and unsupported terms."""
    from qa_bot.summarizing import Summary

    first, result = None, None
    with Timer() as t:
        for item in summarizer.stream_one(article, length):
            if isinstance(item, Summary):
                result = item
            elif first is None:
                first = time.perf_counter() - t.start
    assert result is not None and not result.cached
    return {"summary": result.summary, "words": result.words, "unsupported": result.unsupported,
            "sentences": len(result.sentences), "cited": sum(1 for x in result.sentences if x.sources),
            "checked": result.checked, "note": result.note,
            "sources": [[(src.start, src.end) for src in x.sources] for x in result.sentences],
            "first_token_s": first, "total_s": t.seconds}
