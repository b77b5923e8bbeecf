"""The chat UI in headless Chromium as a visitor meets it, over a real server whose models are stand-ins
(hashed embedder, a stub generator that streams slowly): embed sizes, the starting page, the status shown
before an answer, keyboard-only use with accessible names, removing with confirmation, phone width.
Nothing here loads a language model; tests/test_ui_browser.py does the same journeys with the real one."""
from __future__ import annotations

import threading

import pytest

from conftest import ROOT
from ui_helpers import running_ui, static_site, stub_bot

pytestmark = pytest.mark.browser

FINAL = ".message.bot .qa-answer:not(.qa-streaming), .message.bot .qa-notice, .message.bot .qa-summary"
QUESTION = "How many pelicans were counted at Lake Orm?"


@pytest.fixture(scope="module")
def fast_bot(tmp_path_factory):
    return stub_bot(tmp_path_factory.mktemp("fast-ui"), delay=0.25)


@pytest.fixture(scope="module")
def fast_url(fast_bot):
    with running_ui(fast_bot, requests_per_minute=0, address_requests_per_minute=0) as url:
        yield url


def ask(root, question: str = QUESTION):
    """Type a question under ``root`` (page, frame or element), press Enter, return the finished reply."""
    from playwright.sync_api import expect

    replies = root.locator(FINAL)
    before = replies.count()
    box = root.locator("#qa-input textarea")
    box.fill(question)
    box.press("Enter")
    expect(replies).to_have_count(before + 1, timeout=30_000)
    return replies.nth(before)


def fully_visible(page, locator, container: dict) -> None:
    """``locator`` lies inside ``container`` (a bounding box) and inside the window, and is what a click at
    its centre hits (not clipped or covered)."""
    box = locator.bounding_box()
    view = page.viewport_size
    assert box is not None
    assert container["y"] - 1 <= box["y"] and box["y"] + box["height"] <= container["y"] + container["height"] + 1
    assert container["x"] - 1 <= box["x"] and box["x"] + box["width"] <= container["x"] + container["width"] + 1
    assert 0 <= box["y"] and box["y"] + box["height"] <= view["height"]
    hit = locator.evaluate("(e) => { const r = e.getBoundingClientRect();"
                           " const h = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);"
                           " return e === h || e.contains(h); }")
    assert hit, "covered or clipped"


def check_widget(page, app, height: float) -> None:
    """The widget under ``app`` is ``height`` px high, and stays so with Send and New chat usable after
    several answers."""
    widget = app.locator("#qa-widget")
    assert abs(widget.bounding_box()["height"] - height) <= 2
    for _ in range(3):
        ask(app)
    box = widget.bounding_box()
    assert abs(box["height"] - height) <= 2, box
    fully_visible(page, app.get_by_role("button", name="Send"), box)
    fully_visible(page, app.get_by_role("button", name="New chat"), box)


def test_web_component_takes_the_height_the_host_sets(page, fast_url, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 900})
    (tmp_path / "index.html").write_text(
        f"<!doctype html><meta charset='utf-8'><title>Host</title><script type='module' src='{fast_url}/embed.js'>"
        f"</script><h1>Local news</h1><div style='width:420px;--qa-widget-height:600px'>"
        f"<gradio-app src='{fast_url}/widget'></gradio-app></div>", encoding="utf-8")
    with static_site(tmp_path) as site:
        page.goto(site + "/index.html")
        app = page.locator("gradio-app")
        app.locator("#qa-input textarea").wait_for(timeout=60_000)
        check_widget(page, app, 600)


def test_examples_embed_html_both_ways_keep_their_size(page, fast_url, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 900})
    html = (ROOT / "examples" / "embed.html").read_text(encoding="utf-8")
    (tmp_path / "embed.html").write_text(html.replace("http://127.0.0.1:7860", fast_url), encoding="utf-8")
    with static_site(tmp_path) as site:
        page.goto(site + "/embed.html")
        frame = page.frame_locator("iframe")
        frame.locator("#qa-input textarea").wait_for(timeout=60_000)
        frame_box = page.locator("iframe").bounding_box()
        for _ in range(3):
            ask(frame)
        inner = frame.locator("#qa-widget").bounding_box()  # in page coordinates
        assert abs(inner["height"] - frame_box["height"]) <= 3
        fully_visible(page, frame.get_by_role("button", name="Send"), frame_box)
        fully_visible(page, frame.get_by_role("button", name="New chat"), frame_box)

        app = page.locator("gradio-app")
        app.locator("#qa-input textarea").wait_for(timeout=60_000)
        check_widget(page, app, 600)


# records, in the page, the order in which the reply's states first appear (no timing involved)
WATCH_REPLY = """() => {
  window.__qa_seen = [];
  const states = [['status', '.message.bot .qa-pending[role=status]'], ['text', '.message.bot .qa-streaming'],
                  ['answer', '.message.bot .qa-answer:not(.qa-streaming)']];
  const look = () => states.forEach(([name, selector]) => {
    if (!window.__qa_seen.includes(name) && document.querySelector(selector)) window.__qa_seen.push(name);
  });
  new MutationObserver(look).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def test_a_status_shows_at_once_and_text_streams_before_the_answer_is_complete(page, fast_url):
    from playwright.sync_api import expect

    page.goto(fast_url)
    box = page.get_by_role("textbox", name="Your question")
    box.wait_for(timeout=60_000)
    page.evaluate(WATCH_REPLY)
    box.fill(QUESTION)
    box.press("Enter")
    expect(page.locator(".message.bot .qa-pending[role=status]")).to_contain_text("Reading", timeout=5_000)
    expect(page.locator(FINAL)).to_have_count(1, timeout=30_000)
    assert "73" in page.locator(FINAL).inner_text()
    # the status came first, then partial text, then the finished answer
    assert page.evaluate("window.__qa_seen") == ["status", "text", "answer"]


def test_keyboard_only_use_with_accessible_names(page, fast_url):
    from playwright.sync_api import expect

    page.goto(fast_url)
    box = page.get_by_role("textbox", name="Your question")
    box.focus()
    assert box.evaluate("(e) => getComputedStyle(e.closest('#qa-input')).outlineStyle") != "none"  # focus ring
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    expect(page.locator(FINAL)).to_have_count(1, timeout=30_000)
    label = page.locator("#qa-chat [data-testid=bot]").first.get_attribute("aria-label")
    assert label.startswith("Answer: 73") and "<" not in label  # its text, not its HTML

    box.focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Stop")).to_be_focused()
    page.keyboard.press("Tab")
    scope = page.get_by_role("combobox", name="Articles")
    expect(scope).to_be_focused()
    expect(scope).to_have_attribute("aria-expanded", "false")  # tabbing through leaves it closed
    page.keyboard.press("Tab")
    expect(page.get_by_role("radio", name="Short")).to_be_focused()
    expect(scope).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.get_by_role("radio", name="Medium")).to_be_checked()
    page.get_by_role("button", name="Summarise").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".message.bot .qa-summary")).to_contain_text("medium", timeout=30_000)


def test_the_documented_summary_phrase_writes_a_summary(page, fast_url):
    from playwright.sync_api import expect

    page.goto(fast_url)
    box = page.get_by_role("textbox", name="Your question")
    box.fill("bullet points of all articles")
    box.press("Enter")
    expect(page.locator(".message.bot .qa-summary")).to_contain_text("bullets", timeout=30_000)
    assert "Not in the articles" not in page.locator("#qa-chat").inner_text()


def test_removing_an_article_asks_for_confirmation(page, fast_url, fast_bot):
    from playwright.sync_api import expect

    fast_bot.ingest_text("Ferry timetable changes\n\nThe harbour ferry runs every 20 minutes from May.")
    page.goto(fast_url)
    page.get_by_text("Remove an article").click()
    page.locator("#qa-remove-pick input").click()
    page.get_by_role("option", name="Ferry timetable changes").click()
    page.get_by_role("button", name="Remove…").click()
    expect(page.locator("#qa-remove-status")).to_contain_text("Remove “Ferry timetable changes”?")
    assert any(a.title == "Ferry timetable changes" for a in fast_bot.articles())  # nothing removed yet
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#qa-remove-status")).to_contain_text("Nothing was removed")
    assert any(a.title == "Ferry timetable changes" for a in fast_bot.articles())
    page.get_by_role("button", name="Remove…").click()
    page.get_by_role("button", name="Yes, remove it").click()
    expect(page.locator("#qa-remove-status")).to_contain_text("Removed “Ferry timetable changes”")
    assert not any(a.title == "Ferry timetable changes" for a in fast_bot.articles())


def test_phone_width_panel_toggle_is_on_screen_open_and_closed(page, fast_url):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(fast_url)
    page.get_by_role("textbox", name="Your question").wait_for(timeout=60_000)
    toggle = page.get_by_role("button", name="Toggle Sidebar")
    page.wait_for_timeout(500)  # the panel closes itself on narrow screens (with a transition)
    for _ in range(2):
        box = toggle.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        toggle.click()
        page.wait_for_timeout(500)
    expect(page.locator("#qa-sidebar")).not_to_have_class("open")


def test_a_starting_page_shows_while_the_models_load_then_the_chat(page, tmp_path):
    """app.py's start-up: the server answers at once; the page turns into the chat when ready."""
    import httpx
    from playwright.sync_api import expect

    import app as app_module
    from qa_bot.ui import UIServer, UISettings, create_app
    from qa_bot.ui.startup import Readiness
    from ui_helpers import free_port

    bot = stub_bot(tmp_path)
    release = threading.Event()
    bot.prepare = lambda: release.wait(60)  # the models "load" until the test says so
    readiness = Readiness()
    settings = UISettings(port=free_port())
    server = UIServer(create_app(bot, settings, readiness), "127.0.0.1", settings.port).start()
    url = settings.local_url
    loader = threading.Thread(target=app_module.get_ready, args=(bot, readiness), daemon=True)
    try:
        loader.start()
        health = httpx.get(url + "/healthz")
        assert health.status_code == 503 and health.json()["ready"] is False
        assert httpx.post(url + "/gradio_api/call/ask", json={"data": ["q"]}).status_code == 503
        page.goto(url)
        expect(page.locator("#qa-starting")).to_contain_text("starting")
        expect(page.locator("#qa-starting")).to_contain_text("Loading the models")
        release.set()
        page.get_by_role("textbox", name="Your question").wait_for(timeout=30_000)  # reloaded by itself
        assert httpx.get(url + "/healthz").json()["ready"] is True
    finally:
        release.set()
        server.stop()
