"""Engines side by side: same prompts, greedy, each engine in its own process, ratios against the first.

Measured per engine: load time; the 8 seed questions' answer prompts (excerpts chosen by qa_bot as in
the app) — replies compared to the reference engine's word for word; one reader on long news prompts
(first-token time = prompt reading, then writing speed); ``--readers`` simultaneous readers of distinct
news prompts (throughput in written tokens/s, mean time to the first token, wall time); peak memory.

    python bench/engines.py                                   # llama.cpp vs transformers float32
    python bench/engines.py --engines int8-legacy,llama.cpp,llama.cpp:slots=2,transformers \\
        --legacy-checkout /path/to/old/checkout --legacy-cache /path/to/its/cache

Engines: ``llama.cpp[:slots=N,threads=N]`` (the default engine), ``transformers`` (float32 reference on the
same GGUF, dequantised), ``int8-legacy`` (the home-made torch.ao int8 engine of qa_bot <= session 3, run
from an older checkout), ``openvino`` (OpenVINO GenAI reading the GGUF, when ``openvino-genai`` is
installed). The first engine listed is the baseline of the ratios; the reference for "same replies" is
``--reference`` (default transformers when listed).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python bench/engines.py

from bench.common import (SEED_ARTICLE, SEED_QUESTIONS, dataset_path, load_squad, mean, peak_rss_mb,  # noqa: E402
                          print_table, progress, write_results)

MODEL = "qwen2.5-coder-1.5b"


# ---- prompts (built once, in the parent) ----------------------------------------------------------
def build_prompts(args: argparse.Namespace) -> dict[str, Any]:
    """The seed questions' answer prompts as qa_bot builds them, and distinct ~600-token news prompts."""
    from qa_bot import Bot
    from qa_bot.answering import SYSTEM_PROMPT

    with tempfile.TemporaryDirectory() as tmp:
        bot = Bot(index_dir=Path(tmp) / "index", seeds_dir=SEED_ARTICLE.parent)
        bot.ensure_seeded()
        qa = bot.answerer
        seed = []
        for question, _ in SEED_QUESTIONS:
            hits = bot.index.search(question, bot.config.top_k, None, bot.config.hybrid_weight)
            seed.append(qa.prompt(question, qa.select(question, hits))[0])
    articles = load_squad(dataset_path(args, "squadshifts_nyt_dev.json"))
    news = []
    for article in articles[: len(articles) // 2]:  # the first half of the dev split
        text = ""
        for paragraph in article.paragraphs:
            if len(text) > args.prompt_chars:
                break
            text += paragraph + "\n"
        if len(text) < args.prompt_chars * 0.8 or not article.qas:
            continue
        question = article.qas[0].question
        news.append([{"role": "system", "content": SYSTEM_PROMPT},
                     {"role": "user", "content": f"Excerpts:\n[1] {text[:args.prompt_chars]}\n\nQuestion: {question}"}])
        if len(news) >= args.readers + 3:
            break
    return {"seed": seed, "news": news}


# ---- engines (built in the worker) ------------------------------------------------------------------
def parse_engine(spec: str) -> tuple[str, dict[str, int]]:
    """'llama.cpp:slots=2,threads=1' -> ('llama.cpp', {'slots': 2, 'threads': 1})."""
    name, _, rest = spec.partition(":")
    options = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        options[key.strip()] = int(value)
    return name, options


class OpenVINOEngine:
    """OpenVINO GenAI reading the GGUF directly (greedy), one request at a time, for comparison only."""

    def __init__(self, gguf: Path) -> None:
        import openvino_genai as ov_genai

        self.pipe = ov_genai.LLMPipeline(str(gguf), "CPU")
        self.tokenizer = self.pipe.get_tokenizer()
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return int(self.tokenizer.encode(text).input_ids.data.shape[-1])

    def stream(self, messages, max_new_tokens: int = 64) -> Iterator[str]:
        import queue

        import openvino_genai as ov_genai

        pieces: queue.Queue = queue.Queue()
        config = ov_genai.GenerationConfig()
        config.max_new_tokens = max_new_tokens
        config.do_sample = False
        history = ov_genai.ChatHistory(list(messages)) if hasattr(ov_genai, "ChatHistory") else None
        prompt = self.tokenizer.apply_chat_template(list(messages), add_generation_prompt=True)

        def run() -> None:
            with self._lock:
                def streamer(piece: str):
                    pieces.put(piece)
                    return ov_genai.StreamingStatus.RUNNING

                self.pipe.generate(prompt, config, streamer)
            pieces.put(None)

        del history
        threading.Thread(target=run, daemon=True).start()
        while (piece := pieces.get()) is not None:
            yield piece


def make_engine(name: str, options: dict[str, int], args: argparse.Namespace):
    from qa_bot.model_store import gguf_path

    gguf = gguf_path(MODEL, Path(args.cache_dir).expanduser())
    if name == "llama.cpp":
        from qa_bot.engines.llama_cpp import LlamaCppEngine

        return LlamaCppEngine(gguf, MODEL, slots=options.get("slots", 1), threads=options.get("threads", 0))
    if name == "transformers":
        from qa_bot.engines.hf import TransformersEngine

        return TransformersEngine(MODEL, gguf)
    if name == "openvino":
        return OpenVINOEngine(gguf)
    if name == "int8-legacy":
        sys.path.insert(0, str(Path(args.legacy_checkout).resolve()))
        for module in [m for m in sys.modules if m == "qa_bot" or m.startswith("qa_bot.")]:
            del sys.modules[module]
        from qa_bot.generator import Generator  # the old checkout's engine

        return Generator(MODEL, args.legacy_cache, quantize=True)
    raise SystemExit(f"unknown engine {name!r}")


# ---- measurements (in the worker) -------------------------------------------------------------------
def timed(engine, messages, max_tokens: int) -> dict[str, Any]:
    """One generation: reply, first-token time, total time, tokens written."""
    started = time.perf_counter()
    first = None
    reply = ""
    for piece in engine.stream(messages, max_tokens):
        if first is None:
            first = time.perf_counter() - started
        reply += piece
    total = time.perf_counter() - started
    return {"reply": reply, "first_s": first if first is not None else total, "total_s": total,
            "tokens": engine.count_tokens(reply)}


def worker(args: argparse.Namespace) -> None:
    prompts = json.loads(Path(args.prompts).read_text())
    name, options = parse_engine(args.worker)
    started = time.perf_counter()
    engine = make_engine(name, options, args)
    result: dict[str, Any] = {"engine": args.worker, "load_s": time.perf_counter() - started}
    progress(f"{args.worker}: loaded in {result['load_s']:.1f} s")
    result["seed"] = [timed(engine, m, args.answer_tokens) for m in prompts["seed"]]
    news = prompts["news"]
    singles = [timed(engine, news[i], args.max_tokens) for i in range(2)]
    prompt_tokens = [engine.count_tokens(m[0]["content"] + m[1]["content"]) for m in news[:2]]
    result["single"] = singles
    result["prompt_tokens"] = mean(prompt_tokens)
    result["reading_tok_s"] = mean([n / s["first_s"] for n, s in zip(prompt_tokens, singles)])
    result["writing_tok_s"] = mean([(s["tokens"] - 1) / max(1e-6, s["total_s"] - s["first_s"]) for s in singles])
    if not args.skip_readers:
        readers = news[2:2 + args.readers]
        records: list[dict[str, Any]] = [{} for _ in readers]

        def read(i: int) -> None:
            records[i] = timed(engine, readers[i], args.max_tokens)

        wall = time.perf_counter()
        threads = [threading.Thread(target=read, args=(i,)) for i in range(len(readers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - wall
        result["readers"] = {"n": len(readers), "wall_s": wall,
                             "tokens": sum(r["tokens"] for r in records),
                             "writing_tok_s_total": sum(r["tokens"] for r in records) / wall,
                             "first_s_mean": mean([r["first_s"] for r in records]),
                             "total_s_mean": mean([r["total_s"] for r in records])}
    result["peak_rss_mb"] = peak_rss_mb()
    Path(args.out).write_text(json.dumps(result))


# ---- the parent: run each engine, compare, print ------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="llama.cpp,transformers")
    parser.add_argument("--reference", default="transformers", help="engine whose replies count as right")
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--answer-tokens", type=int, default=48)
    parser.add_argument("--prompt-chars", type=int, default=2600, help="news prompt length (~600 tokens)")
    parser.add_argument("--skip-readers-for", default="transformers",
                        help="engines too slow for the simultaneous readers (comma-separated)")
    parser.add_argument("--cache-dir", default=os.environ.get("QA_BOT_CACHE_DIR", "~/.cache/qa_bot"))
    parser.add_argument("--legacy-checkout", default="", help="a checkout of qa_bot with qa_bot/generator.py")
    parser.add_argument("--legacy-cache", default="", help="that checkout's model cache")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--tag", default=None)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--prompts", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--skip-readers", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.data_dir is None:
        from bench.common import DEFAULT_DATA_DIR

        args.data_dir = DEFAULT_DATA_DIR
    if args.worker:
        worker(args)
        return
    began = time.time()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    slow = {e.strip() for e in args.skip_readers_for.split(",")}
    with tempfile.TemporaryDirectory() as tmp:
        prompts_file = Path(tmp) / "prompts.json"
        prompts_file.write_text(json.dumps(build_prompts(args)))
        results = {}
        for spec in engines:
            out = Path(tmp) / f"{len(results)}.json"
            command = [sys.executable, __file__, "--worker", spec, "--prompts", str(prompts_file), "--out", str(out),
                       "--cache-dir", args.cache_dir, "--legacy-checkout", args.legacy_checkout,
                       "--legacy-cache", args.legacy_cache, "--max-tokens", str(args.max_tokens),
                       "--answer-tokens", str(args.answer_tokens), "--data-dir", str(args.data_dir)]
            if parse_engine(spec)[0] in slow:
                command.append("--skip-readers")
            progress(f"== {spec}")
            done = subprocess.run(command)
            if done.returncode != 0 or not out.exists():
                progress(f"{spec} failed (exit {done.returncode})")
                continue
            results[spec] = json.loads(out.read_text())
    report(results, engines, args)
    write_results("engines", args.tag, config={"model": MODEL}, limit=None, results=results,
                  params={k: v for k, v in vars(args).items() if k not in ("worker", "prompts", "out")}, started=began)


def report(results: dict[str, Any], engines: list[str], args: argparse.Namespace) -> None:
    reference = next((e for e in engines if parse_engine(e)[0] == args.reference and e in results), None)
    base = results.get(engines[0])
    rows = []
    for spec in engines:
        r = results.get(spec)
        if r is None:
            continue
        same = None
        if reference:
            ref = [s["reply"].strip() for s in results[reference]["seed"]]
            same = sum(a["reply"].strip() == b for a, b in zip(r["seed"], ref))
        seed_first = mean([s["first_s"] for s in r["seed"]])
        seed_total = mean([s["total_s"] for s in r["seed"]])
        readers = r.get("readers") or {}

        def ratio(value, key, sub=None):
            if base is None or value is None:
                return None
            b = (base.get(sub) or {}).get(key) if sub else base.get(key)
            return value / b if b else None

        total_tps = readers.get("writing_tok_s_total")
        rows.append([spec, r["load_s"], f"{same}/{len(r['seed'])}" if same is not None else "-", seed_first, seed_total,
                     r["reading_tok_s"], r["writing_tok_s"], total_tps, ratio(total_tps, "writing_tok_s_total", "readers"),
                     readers.get("first_s_mean"), r["peak_rss_mb"] / 1024])
    print_table(f"Engines: {MODEL}, greedy; seed answers vs {reference or '-'}; {args.readers} readers of "
                f"~{args.prompt_chars // 4}-token news prompts, {args.max_tokens} tokens each; ratio vs {engines[0]}",
                ["engine", "load s", "seed replies = ref", "seed first tok s", "seed total s", "reading tok/s",
                 "writing tok/s (1 reader)", f"{args.readers} readers tok/s", "x baseline",
                 f"{args.readers} readers first tok s", "peak GB"], rows)
    if reference:
        for spec in engines:
            if spec == reference or spec not in results:
                continue
            for n, (a, b) in enumerate(zip(results[spec]["seed"], results[reference]["seed"])):
                if a["reply"].strip() != b["reply"].strip():
                    progress(f"{spec} differs on seed question {n + 1}: {a['reply']!r} vs {b['reply']!r}")


if __name__ == "__main__":
    main()
