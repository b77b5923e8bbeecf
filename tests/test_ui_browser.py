"""The chat UI in headless Chromium with the real default models: ask, sources, Summarise, paste an article,
both embeddings from another origin, and article text that tries to run code. (docs/screenshot.png is
refreshed by ``python -m qa_bot.ui.screenshot``, never by the tests.)"""
from __future__ import annotations

import pytest

from ui_helpers import ANSWER_TIMEOUT_MS, SEED_FACT, SEED_QUESTION, static_site

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# a finished reply: an answer, an abstention or error notice, or a summary (not the streaming text)
REPLY = ".message.bot .qa-answer:not(.qa-streaming), .message.bot .qa-notice, .message.bot .qa-summary"


def open_app(page, url: str):
    page.goto(url)
    page.locator("#qa-input textarea").wait_for(timeout=60_000)
    return page


def ask(root, question: str, timeout: int = ANSWER_TIMEOUT_MS):
    """Type a question into the chat under ``root`` (a page, frame or element) and return the new reply."""
    from playwright.sync_api import expect

    replies = root.locator(REPLY)
    before = replies.count()
    box = root.locator("#qa-input textarea")
    box.fill(question)
    box.press("Enter")
    expect(replies).to_have_count(before + 1, timeout=timeout)
    return replies.nth(before)


def choose_scope(page, title: str) -> None:
    page.locator("#qa-scope input").click()
    page.get_by_role("option", name=title[:40]).first.click()


def paste_article(page, text: str, title: str = "") -> None:
    """Add an article through the Paste tab and wait for the success message."""
    from playwright.sync_api import expect

    if not page.locator("#qa-text textarea").is_visible():
        page.locator("#qa-add").get_by_text("Add an article").first.click()
    page.locator("#qa-title input").fill(title)
    page.locator("#qa-text textarea").fill(text)
    page.locator("#qa-add-text").click()
    expect(page.locator("#qa-add-status .qa-success")).to_be_visible(timeout=60_000)


def test_ask_a_seed_question_and_see_the_answer_and_its_source(page, ui_url):
    open_app(page, ui_url)
    reply = ask(page, SEED_QUESTION)
    assert SEED_FACT in reply.inner_text()
    bubble = page.locator(".message.bot").last
    sources = bubble.locator("details.qa-sources")
    assert "Biden and Putin" in sources.locator("summary").inner_text()
    sources.locator("summary").click()
    source = bubble.locator(".qa-source").first
    assert source.is_visible()
    assert "Biden and Putin" in source.locator(".qa-source-title").inner_text()
    assert source.locator("mark").inner_text().strip()  # the supporting span is highlighted


def test_summarise_button_gives_a_short_summary(page, ui_url):
    open_app(page, ui_url)
    choose_scope(page, "Biden and Putin hold talks")
    page.locator("#qa-length").get_by_text("Short").click()
    page.locator("#qa-summarise").click()
    summary = page.locator(".message.bot .qa-summary")
    summary.wait_for(timeout=3 * ANSWER_TIMEOUT_MS)
    text = summary.inner_text()
    body = text.split("\n", 1)[-1]
    assert any(name in body for name in ("Putin", "Biden", "Russia"))
    assert 8 <= len(body.split()) <= 90
    assert "Summarise" in page.locator(".message.user").last.inner_text()


def test_paste_an_article_then_ask_about_it(page, ui_url):
    open_app(page, ui_url)
    paste_article(page, "Night trains return to the Alps\n\nA new sleeper train between Zurich and Ljubljana "
                        "starts running on 14 March. The train has 312 beds in nine carriages and stops in "
                        "Innsbruck and Villach. Tickets go on sale next week.", title="Night trains return to the Alps")
    assert "Night trains return to the Alps" in page.locator("#qa-articles").inner_text()
    reply = ask(page, "How many beds does the new sleeper train have?")
    assert "312" in reply.inner_text()
    assert "Night trains" in page.locator(".message.bot").last.locator("details.qa-sources summary").inner_text()


def test_iframe_embed_answers_from_another_origin(page, ui_url, tmp_path):
    (tmp_path / "index.html").write_text(
        f"<!doctype html><meta charset='utf-8'><title>Host site</title><h1>Local news</h1>"
        f"<iframe id='qa' src='{ui_url}/widget' style='width:420px;height:640px;border:1px solid #ccc'></iframe>",
        encoding="utf-8")
    with static_site(tmp_path) as site:
        page.goto(site + "/index.html")
        frame = page.frame_locator("#qa")
        frame.locator("#qa-input textarea").wait_for(timeout=60_000)
        assert frame.locator("#qa-sidebar, #qa-add").count() == 0  # no admin controls in the widget
        reply = ask(frame, SEED_QUESTION)
        assert SEED_FACT in reply.inner_text()
        assert frame.locator("details.qa-sources").count() >= 1


def test_web_component_embed_answers_from_another_origin(page, ui_url, tmp_path):
    (tmp_path / "index.html").write_text(
        f"<!doctype html><meta charset='utf-8'><title>Host site</title>"
        f"<script type='module' src='{ui_url}/embed.js'></script><h1>Local news</h1>"
        f"<div style='width:420px;--qa-widget-height:600px'><gradio-app src='{ui_url}/widget'></gradio-app></div>",
        encoding="utf-8")
    with static_site(tmp_path) as site:
        page.goto(site + "/index.html")
        app = page.locator("gradio-app")
        app.locator("#qa-input textarea").wait_for(timeout=60_000)
        reply = ask(app, "Who is the Kremlin spokesman?")
        assert "Peskov" in reply.inner_text()


def test_article_with_script_and_onerror_shows_as_text_and_runs_nothing(page, ui_url):
    title = 'Pelican count <img src=x onerror="window.__qa_pwned=1">'
    text = ("Pelican sanctuary reports record year <script>window.__qa_pwned=2</script>\n\n"
            "The pelican sanctuary at Lake Orm counted 73 pelicans this spring, "
            "<img src=x onerror=\"window.__qa_pwned=3\"> "
            "its warden Tomas Vik said. A [link](javascript:window.__qa_pwned=4) and **markdown** stay as text.")
    open_app(page, ui_url)
    paste_article(page, text, title=title)
    library = page.locator("#qa-articles")
    assert 'onerror="window.__qa_pwned=1"' in library.inner_text()  # the title shows as text

    reply = ask(page, "How many pelicans did the sanctuary at Lake Orm count?")
    assert "73" in reply.inner_text()
    bubble = page.locator(".message.bot").last
    bubble.locator("details.qa-sources summary").click()
    passage = bubble.locator(".qa-passage").first.inner_text()
    assert "<script>window.__qa_pwned=2</script>" in passage or "<img src=x" in passage

    ask(page, '<img src=x onerror="window.__qa_pwned=5"> zebra quasar?')  # a question, shown as text
    assert '<img src=x onerror="window.__qa_pwned=5">' in page.locator(".message.user").last.inner_text()

    page.wait_for_timeout(500)
    assert page.evaluate("window.__qa_pwned") is None
    assert page.locator("gradio-app img[src='x'], #qa-articles img, .message img").count() == 0
    # the page fixture also fails the test on any dialog or JavaScript error


def test_upload_a_file_and_clear_messages_for_bad_input(page, ui_url, ui_bot, tmp_path):
    from playwright.sync_api import expect

    open_app(page, ui_url)
    before = [a.id for a in ui_bot.articles()]
    page.locator("#qa-add").get_by_text("Add an article").first.click()
    page.locator("#qa-text textarea").fill("   ")
    page.locator("#qa-add-text").click()
    expect(page.locator("#qa-add-status .qa-error")).to_contain_text("empty", timeout=30_000)
    assert [a.id for a in ui_bot.articles()] == before

    page.locator("#qa-add").get_by_role("tab", name="Upload").click()
    binary = tmp_path / "photo.txt"
    binary.write_bytes(bytes(range(256)) * 40)
    page.locator("#qa-file input[type=file]").set_input_files(str(binary))
    expect(page.locator("#qa-add-status .qa-error")).to_contain_text("binary", timeout=30_000)
    assert [a.id for a in ui_bot.articles()] == before

    story = tmp_path / "lighthouse.md"
    story.write_text("# Lighthouse keeper retires after 40 years\n\nThe last keeper of the Skarvik lighthouse, "
                     "Anna Lund, retired on Friday after 40 years of service.", encoding="utf-8")
    page.locator("#qa-file input[type=file]").set_input_files(str(story))
    expect(page.locator("#qa-add-status .qa-success")).to_contain_text("Lighthouse keeper", timeout=60_000)
    expect(page.locator("#qa-articles")).to_contain_text("lighthouse.md")
    assert len(ui_bot.articles()) == len(before) + 1
