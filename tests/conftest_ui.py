"""Fixtures of the UI tests: one real Bot (sharing the e2e models), its servers, and headless Chromium."""
from __future__ import annotations

import os
from typing import Iterator

import pytest

from ui_helpers import CHROMIUM, CHROMIUM_ARGS, running_ui


@pytest.fixture(scope="session")
def ui_bot(real_bot, tmp_path_factory):
    """The real default models over a fresh index of seeds/; URLs on this machine may be ingested."""
    from qa_bot import Bot

    bot = Bot(index_dir=tmp_path_factory.mktemp("ui-index"), cache_dir=os.environ.get("QA_BOT_CACHE_DIR") or None,
              allow_private_urls=True, models_from=real_bot)
    bot.ensure_seeded()
    return bot


@pytest.fixture(scope="session")
def seed_id(ui_bot) -> str:
    return next(a.id for a in ui_bot.articles() if a.title.startswith("Biden and Putin"))


@pytest.fixture(scope="session")
def ui_url(ui_bot) -> Iterator[str]:
    """Base URL of the full app (read-write) served in-process."""
    with running_ui(ui_bot) as url:
        yield url


@pytest.fixture(scope="session")
def ui_read_only_url(ui_bot) -> Iterator[str]:
    """Base URL of a --read-only server over the same library."""
    with running_ui(ui_bot, read_only=True) as url:
        yield url


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (never a downloaded browser build)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser session; fails the test if the page fetched anything off this machine,
    opened a dialog or threw a JavaScript error."""
    context = chromium.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    problems: list[str] = []
    page.on("request", lambda r: problems.append(f"external request {r.url}")
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")) else None)
    page.on("dialog", lambda d: (problems.append(f"dialog {d.type}: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.problems = problems
    yield page
    context.close()
    assert not problems, problems
