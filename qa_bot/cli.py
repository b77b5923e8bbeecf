"""Command line: ``python -m qa_bot COMMAND ... [--index DIR]`` (global flags before or after the command)."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Sequence

from .articles import IngestError
from .config import add_config_flags, config_from_args
from .index import IndexError as QAIndexError
from .model_store import ModelUnavailable
from .summarizing import LENGTHS

log = logging.getLogger("qa_bot")


def _global_flags(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    add_config_flags(parser)
    return parser


def _after_command_flags() -> argparse.ArgumentParser:
    """The global flags again, for each command (``ask "…" --index DIR``): defaults suppressed, so a flag
    given before the command is not reset by the command's parser."""
    parent = _global_flags(argparse.ArgumentParser(add_help=False))
    for action in parent._actions:
        action.default = argparse.SUPPRESS
    return parent


def build_parser() -> argparse.ArgumentParser:
    """``python -m qa_bot [flags] COMMAND [flags]``: the global flags go before or after the command."""
    parser = _global_flags(argparse.ArgumentParser(prog="python -m qa_bot", description=__doc__))
    common = _after_command_flags()
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser = sub.add_parser

    def command(name: str, **kwargs):
        return add_parser(name, parents=[common], **kwargs)

    sub.add_parser = command  # every command takes the global flags too

    p = sub.add_parser("ingest", help="add articles: files, folders, URLs, or - for standard input")
    p.add_argument("sources", nargs="+", help="file, folder, http(s) URL, or -")
    p.add_argument("--title", default="", help="title for text read from standard input")
    p.add_argument("--batch", type=int, default=64, help="articles embedded and committed together (a folder "
                   "is streamed with a progress bar; an interrupted import resumes, duplicates are skipped)")

    p = sub.add_parser("list", help="list indexed articles (oldest first; their texts are not read)")
    p.add_argument("--limit", type=int, default=0, help="list at most this many (0: all)")
    p.add_argument("--offset", type=int, default=0, help="skip this many first")
    p.add_argument("--filter", default="", help="only articles whose title or source contains this")
    p.add_argument("--newest", action="store_true", help="most recently added first")
    p = sub.add_parser("remove", help="remove articles by id")
    p.add_argument("ids", nargs="+")
    sub.add_parser("prepare", help="prepare and load the models once (shows where they are cached)")
    sub.add_parser("rebuild", help="re-embed every article (after a model change or damage)")
    sub.add_parser("compact", help="drop removed articles' rows from the vector file (no re-embedding)")

    p = sub.add_parser("ask", help="ask a question")
    p.add_argument("question")
    p.add_argument("--article", action="append", dest="articles", help="only this article id (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("summarize", help="summarise articles (default: the most recent; 'all' for all)")
    p.add_argument("ids", nargs="*", help="article ids, or all")
    p.add_argument("--length", choices=list(LENGTHS), default="short")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("httpx", "urllib3", "transformers", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        config = config_from_args(args)
        from .bot import Bot

        bot = Bot(config)
        return COMMANDS[args.command](bot, args)
    except (IngestError, ValueError, QAIndexError, ModelUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def cmd_ingest(bot, args) -> int:
    added = []
    for source in args.sources:
        if source == "-":
            added += bot.ingest_text(sys.stdin.read(), title=args.title, source="stdin")
        else:
            added += bot.ingest(source, progress=True, batch=args.batch)
    print(f"added {len(added)} article(s)" + (": " + ", ".join(added) if added else " (already indexed)"))
    return 0


def cmd_list(bot, args) -> int:
    if args.limit < 0 or args.offset < 0:
        raise ValueError("--limit and --offset must be >= 0")
    total = bot.article_count(args.filter)
    if not total:
        print("no articles match" if args.filter else "no articles yet: python -m qa_bot ingest FILE_OR_URL")
        return 0
    end = total if not args.limit else min(total, args.offset + args.limit)
    shown, offset = 0, args.offset
    while offset < end:  # a page of metadata at a time: memory stays small for any library
        page = bot.list_articles(min(_LIST_PAGE, end - offset), offset, args.filter, newest_first=args.newest)
        if not page:
            break
        for a in page:
            print(f"{a.id}  {a.title}  ({a.words} words; {a.source or 'unknown source'})")
        shown += len(page)
        offset += len(page)
    if shown < total:
        print(f"({shown} of {total} shown; --limit and --offset page through them)", file=sys.stderr)
    return 0


_LIST_PAGE = 1000


def cmd_remove(bot, args) -> int:
    removed = bot.remove(args.ids)
    missing = [i for i in args.ids if i not in removed]
    if removed:
        print("removed " + ", ".join(removed))
    if missing:
        print("not found: " + ", ".join(missing), file=sys.stderr)
    return 0 if removed else 1


def cmd_prepare(bot, args) -> int:
    print(f"model cache: {bot.config.cache_dir}")
    bot.prepare()
    from .engines import engine_kind

    kind = engine_kind(bot.config.generator, bot.config)
    print(f"ready: embeddings {bot.config.embed_model}; generator {bot.config.generator} on {kind}"
          + (f"; answers {bot.config.answer_model}" if bot.config.answer_model != bot.config.generator else ""))
    if kind == "llama.cpp":
        from .engines.llama_cpp import cpu_features

        print(f"llama.cpp uses: {' '.join(cpu_features())}")
    return 0


def cmd_rebuild(bot, args) -> int:
    count = bot.rebuild(progress=True)
    print(f"rebuilt the index in {bot.config.index_dir}: {count} article(s)")
    return 0


def cmd_compact(bot, args) -> int:
    done = bot.compact()
    if done is None:
        print(f"no index in {bot.config.index_dir} yet")
    elif not done.dropped:
        print(f"nothing to compact: {done.rows_after} rows, all live ({done.bytes_after:,} bytes)")
    else:
        print(f"compacted: {done.rows_before} -> {done.rows_after} rows ({done.dropped} removed), "
              f"{done.bytes_before:,} -> {done.bytes_after:,} bytes")
    return 0


def cmd_ask(bot, args) -> int:
    bot.ensure_seeded()
    answer = bot.ask(args.question, article_ids=args.articles)
    if args.json:
        data = answer.to_dict()
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return 0
    print(answer.answer)
    for n, s in enumerate(answer.sources, 1):
        print(f"  [{n}] {s.title} ({s.article_id}, chars {s.start}-{s.end}, score {s.score:.2f})")
        print(f"      …{s.text[:240]}{'…' if len(s.text) > 240 else ''}")
    return 0


def cmd_summarize(bot, args) -> int:
    bot.ensure_seeded()
    ids = args.ids or None
    summary = bot.summarize(ids, args.length)
    if args.json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print(summary.summary)
    if summary.unsupported:
        print(f"warning: not found in the article(s): {', '.join(summary.unsupported)}", file=sys.stderr)
    return 0


COMMANDS = {
    "ingest": cmd_ingest, "list": cmd_list, "remove": cmd_remove, "prepare": cmd_prepare,
    "rebuild": cmd_rebuild, "compact": cmd_compact, "ask": cmd_ask, "summarize": cmd_summarize,
}
