"""Refresh the documentation screenshot: ``python -m qa_bot.ui.screenshot [--out docs/screenshot.png]``.

Serves the chat over a fresh index of ``seeds/`` with the configured models, asks the seed question in
headless Chromium (Debian's ``/usr/bin/chromium`` driven by Playwright), opens the answer's source and saves
the window. Run it by hand when the UI changes; the test suite never writes into ``docs/``.
"""
from __future__ import annotations

import argparse
import logging
import socket
import sys
import tempfile
from pathlib import Path
from typing import Sequence

log = logging.getLogger(__name__)

QUESTION = "How many soldiers has Russia moved near Ukraine?"
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def take(out: Path, chromium: str = "/usr/bin/chromium", width: int = 1280, height: int = 860) -> Path:
    """Serve the app on a free port, ask :data:`QUESTION`, open its source, save the window as ``out``."""
    from playwright.sync_api import sync_playwright

    from ..bot import Bot
    from . import UIServer, UISettings, create_app

    with tempfile.TemporaryDirectory(prefix="qa_bot-screenshot-") as folder:
        bot = Bot(index_dir=Path(folder) / "index")
        bot.ensure_seeded()
        settings = UISettings(port=_free_port())
        server = UIServer(create_app(bot, settings), "127.0.0.1", settings.port).start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"], headless=True)
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(settings.local_url)
                box = page.get_by_role("textbox", name="Your question")
                box.fill(QUESTION)
                box.press("Enter")
                page.locator(".message.bot .qa-answer:not(.qa-streaming), .message.bot .qa-notice").wait_for(
                    timeout=300_000)
                page.locator(".message.bot details.qa-sources summary").last.click()
                page.wait_for_timeout(300)
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out))
                browser.close()
        finally:
            server.stop()
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa_bot.ui.screenshot", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where to save it (default {DEFAULT_OUT})")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="the Chromium executable")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    print(f"saved {take(args.out, args.chromium)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
