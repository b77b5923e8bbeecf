"""Start the qa_bot chat UI: ``python app.py`` serves http://127.0.0.1:7860 (see --help for every flag)."""
from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Sequence

from qa_bot import Bot  # first: sets the offline defaults (no analytics, no hub) before Gradio loads
from qa_bot.config import add_config_flags, config_from_args
from qa_bot.ui import EMBED_SCRIPT, WIDGET_PATH, UIServer, add_ui_flags, create_app, ui_settings_from_args
from qa_bot.ui.server import open_share_link
from qa_bot.ui.startup import Readiness

log = logging.getLogger("qa_bot.app")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python app.py", description="qa_bot chat UI: ask questions about "
                                     "news articles, get short answers with sources, summaries; embeddable.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    add_ui_flags(parser)
    add_config_flags(parser)
    return parser


def get_ready(bot: Bot, readiness: Readiness) -> bool:
    """Load the models, seed an empty index and start the background work, reporting each step to
    ``readiness`` (the starting page shows it); False (and the reason on the page) if it fails."""
    started = time.perf_counter()
    try:
        readiness.set_step("Loading the models")
        log.info("Preparing the models (cache: %s; the first start assembles the generator's weights once)",
                 bot.config.cache_dir)
        bot.prepare()
        log.info("Models ready in %.0f s", time.perf_counter() - started)
        readiness.set_step("Indexing the starter articles")
        bot.ensure_seeded()
    except Exception as exc:  # a missing model, a damaged index: say so on the page and in the log
        log.exception("qa_bot could not start")
        readiness.fail(f"{type(exc).__name__}: {exc}")
        print(f"error: {exc}", file=sys.stderr)
        return False
    # articles read ahead (answers start at once) and summaries written ahead; gives way to questions
    bot.work_ahead()
    log.info("Library: %d article(s) in %s", bot.article_count(), bot.config.index_dir)
    readiness.set_ready()
    return True


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    for noisy in ("httpx", "urllib3", "transformers", "faiss", "gradio", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = ui_settings_from_args(args)
        bot = Bot(config_from_args(args))
    except (TypeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    readiness = Readiness()
    server = UIServer(create_app(bot, settings, readiness), settings.host, settings.port)
    try:
        server.start()  # at once: visitors see a "starting" page (and /healthz says not ready) meanwhile
    except RuntimeError as exc:
        print(f"error: {exc} ({settings.host}:{settings.port})", file=sys.stderr)
        return 1
    url = settings.local_url
    print(f"\nqa_bot is starting on {url}/ (a 'starting' page shows until the models are loaded)", flush=True)
    if not get_ready(bot, readiness):
        server.stop()
        return 1
    print(f"\nqa_bot is ready: {url}/", flush=True)
    print(f"  widget for iframes:   {url}{WIDGET_PATH}", flush=True)
    print(f"  web component script: {url}{EMBED_SCRIPT}", flush=True)
    access = "read-only" if settings.read_only else "admin password set" if settings.admin_password else ""
    print(f"  API:                  {url}/?view=api" + (f"   ({access})" if access else ""), flush=True)
    log.info("Limits per session: %s requests/min, %s added articles/hour (0: none); queue: %d at once, %d waiting",
             settings.requests_per_minute, settings.uploads_per_session, settings.concurrency, settings.max_queue)
    if settings.share:
        share = open_share_link(settings.host, settings.port)
        print(f"  public share link:    {share}" if share else "  (no share link: see the warning above)", flush=True)
    print("Press Ctrl+C to stop.", flush=True)
    server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
