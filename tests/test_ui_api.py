"""The UI server's API through gradio_client and plain HTTP, against a real in-process server with the real
default models: every named endpoint (including a streamed answer), read-only refusal, separate sessions,
embedding headers, the queue limit; plus the UI's escaping and summary-request parsing."""
from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from gradio_client import Client

from ui_helpers import SEED_FACT, SEED_QUESTION, running_ui, static_site

NEW_ARTICLE = (
    "Harbour town opens floating library\n\n"
    "The coastal town of Marrowby opened a floating library on an old ferry on Saturday. "
    "The library holds 4,200 books and was funded by a local bakery cooperative. "
    "Mayor Ilse Brandt said the ferry will visit three islands every week during the summer."
)


@pytest.fixture(scope="module")
def client(ui_url) -> Client:
    return Client(ui_url + "/", verbose=False)


def _chat_texts(messages: list[dict]) -> list[str]:
    """The plain text of chat messages as gradio_client returns them."""
    out = []
    for m in messages:
        content = m["content"]
        text = " ".join(c.get("text", "") for c in content) if isinstance(content, list) else str(content)
        out.append(re.sub(r"<[^>]+>", " ", text))
    return out


class _SlowBot:
    """Just enough of a Bot for the UI: each answer takes a second."""

    def __init__(self) -> None:
        from qa_bot import Config
        from qa_bot.articles import make_article

        self.config = Config()
        self._articles = [make_article("A slow article with enough words in it to be accepted.", title="Slow")]

    def articles(self):
        return list(self._articles)

    def list_articles(self, limit=50, offset=0, query="", newest_first=True):
        return [a.info() for a in self._articles][offset:offset + limit]

    def article_count(self, query=""):
        return len(self._articles)

    def article_infos(self, ids):
        return {a.id: a.info() for a in self._articles if a.id in ids}

    def titles(self, ids):
        return {i: info.title for i, info in self.article_infos(ids).items()}

    def get_articles(self, ids):
        return [a for a in self._articles if a.id in ids]

    def newest_articles(self, count):
        return iter(self._articles[:count])

    def ask(self, question, history=None, article_ids=None):
        from qa_bot import Answer

        time.sleep(1.0)
        return Answer("slowly", True)


# ---- the named endpoints ------------------------------------------------------------------------
@pytest.mark.e2e
def test_endpoints_are_named(client):
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/ask", "/ask_stream", "/summarize", "/add_article", "/add_url", "/list_articles",
            "/remove_article", "/chat"} <= names


@pytest.mark.e2e
def test_list_articles(client, seed_id):
    articles = client.predict(api_name="/list_articles")
    seed = next(a for a in articles if a["id"] == seed_id)
    assert seed["title"].startswith("Biden and Putin") and seed["words"] > 500
    assert "text" not in seed


@pytest.mark.e2e
def test_ask_returns_answer_with_sources(client, seed_id):
    result = client.predict("When will US and Russian officials hold talks in Geneva?", None, "all", api_name="/ask")
    assert result["found"] is True
    assert "jan. 10" in result["answer"].lower()
    source = result["sources"][0]
    assert source["article_id"] == seed_id
    assert source["start"] <= source["highlight_start"] <= source["highlight_end"] <= source["end"]


@pytest.mark.e2e
def test_ask_stream_streams_then_gives_the_full_answer(client, seed_id):
    job = client.submit(SEED_QUESTION, None, seed_id, api_name="/ask_stream")
    updates = list(job)
    final = updates[-1]
    assert final["done"] is True and final["found"] is True
    assert SEED_FACT in final["answer"]
    assert any(SEED_FACT in s["text"] for s in final["sources"])
    partial = [u for u in updates if not u["done"]]
    assert partial, "no partial update was streamed"
    assert all(isinstance(u["answer"], str) for u in partial)


@pytest.mark.e2e
def test_ask_with_history_understands_a_follow_up(client):
    history = [["Who is the Kremlin spokesman?", "Dmitry Peskov"]]
    result = client.predict("What is his first name?", history, "all", api_name="/ask")
    assert result["found"] is True and "dmitry" in result["answer"].lower()


@pytest.mark.e2e
def test_unknown_scope_and_empty_question_are_clear_errors(client):
    with pytest.raises(Exception, match="no longer in the library"):
        client.predict("Who is the Kremlin spokesman?", None, "doesnotexist", api_name="/ask")
    with pytest.raises(Exception, match="type a question"):
        client.predict("   ", None, "all", api_name="/ask")


@pytest.mark.e2e
def test_summarize_one_article_short(client, seed_id):
    result = client.predict(seed_id, "short", api_name="/summarize")
    assert result["article_ids"] == [seed_id]
    assert 10 <= result["words"] <= 80
    assert "Putin" in result["summary"] or "Russia" in result["summary"]


@pytest.mark.e2e
def test_add_article_then_ask_about_it_then_remove(client, ui_bot):
    added = client.predict(NEW_ARTICLE, "", api_name="/add_article")
    assert len(added["added"]) == 1 and "Added" in added["message"]
    new_id = added["added"][0]
    assert any(a["id"] == new_id and a["title"] == "Harbour town opens floating library"
               for a in client.predict(api_name="/list_articles"))
    again = client.predict(NEW_ARTICLE, "", api_name="/add_article")
    assert again["added"] == [] and again["existing"] == [new_id] and "already" in again["message"]

    result = client.predict("How many books does the floating library hold?", None, "all", api_name="/ask")
    assert result["found"] and "4,200" in result["answer"]
    assert result["sources"][0]["article_id"] == new_id

    assert client.predict(new_id, api_name="/remove_article") == {"removed": [new_id]}
    assert new_id not in {a.id for a in ui_bot.articles()}


@pytest.mark.e2e
def test_bad_articles_are_refused_and_leave_the_library_unchanged(client, ui_bot):
    before = [a.id for a in ui_bot.articles()]
    with pytest.raises(Exception, match="empty"):
        client.predict("   ", "", api_name="/add_article")
    with pytest.raises(Exception, match="[Nn]ot a web address|http"):
        client.predict("ftp://example.com/x", api_name="/add_url")
    assert [a.id for a in ui_bot.articles()] == before


@pytest.mark.e2e
def test_add_url_from_a_local_page(client, ui_bot, tmp_path):
    (tmp_path / "story.html").write_text(
        "<html><head><title>Glacier museum reopens</title></head><body><nav>Home | News</nav>"
        "<article><h1>Glacier museum reopens</h1><p>The glacier museum in Fjellby reopened on Monday after "
        "a two-year renovation costing 3 million euros. Director Kari Holm expects 80,000 visitors a year.</p>"
        "</article></body></html>", encoding="utf-8")
    with static_site(tmp_path) as site:
        added = client.predict(f"{site}/story.html", api_name="/add_url")
        assert len(added["added"]) == 1
        article = next(a for a in ui_bot.articles() if a.id == added["added"][0])
        assert article.title == "Glacier museum reopens" and "Kari Holm" in article.text
        before = len(ui_bot.articles())
        with pytest.raises(Exception, match="404"):
            client.predict(f"{site}/missing.html", api_name="/add_url")
        assert len(ui_bot.articles()) == before
    client.predict(added["added"][0], api_name="/remove_article")


@pytest.mark.e2e
def test_plain_http_call(ui_url):
    """The REST flow documented in docs/ui.md: POST the inputs, then read the result as server-sent events."""
    with httpx.Client(base_url=ui_url, timeout=30) as http:
        event = http.post("/gradio_api/call/list_articles", json={"data": []}).json()["event_id"]
        body = http.get(f"/gradio_api/call/list_articles/{event}").text
    assert "event: complete" in body
    data = json.loads(body.split("event: complete\ndata: ", 1)[1].splitlines()[0])
    assert data[0][0]["title"].startswith("Biden and Putin")


# ---- read-only ----------------------------------------------------------------------------------
@pytest.mark.e2e
def test_read_only_refuses_writes_on_the_server(ui_read_only_url, ui_bot, seed_id):
    client = Client(ui_read_only_url + "/", verbose=False)
    before = [a.id for a in ui_bot.articles()]
    for args, endpoint in (((NEW_ARTICLE, ""), "/add_article"), (("https://example.com/",), "/add_url"),
                           ((seed_id,), "/remove_article")):
        with pytest.raises(Exception, match="read-only"):
            client.predict(*args, api_name=endpoint)
    assert [a.id for a in ui_bot.articles()] == before
    assert client.predict(api_name="/list_articles")  # reading still works

    config = httpx.get(ui_read_only_url + "/config").json()
    hidden = {c["props"].get("elem_id"): c["props"].get("visible") for c in config["components"]}
    assert hidden["qa-add"] is False and hidden["qa-remove"] is False


# ---- sessions -----------------------------------------------------------------------------------
@pytest.mark.e2e
def test_two_concurrent_sessions_keep_separate_chats(ui_url):
    alice, bob = Client(ui_url + "/", verbose=False), Client(ui_url + "/", verbose=False)
    questions = {"alice": SEED_QUESTION, "bob": "Who is the Kremlin spokesman?"}
    with ThreadPoolExecutor(2) as pool:
        first = dict(zip(questions, pool.map(
            lambda item: item[0].predict(item[1], "all", "short", api_name="/chat"),
            [(alice, questions["alice"]), (bob, questions["bob"])])))
    assert SEED_FACT in _chat_texts(first["alice"][1])[1]
    assert "Peskov" in _chat_texts(first["bob"][1])[1]

    _, alice_chat = alice.predict("How long was their conversation?", "all", "short", api_name="/chat")
    alice_texts = _chat_texts(alice_chat)
    assert len(alice_texts) == 4 and "50" in alice_texts[3]
    assert not any("Kremlin" in t for t in alice_texts)
    _, bob_chat = bob.predict("", "all", "short", api_name="/chat")  # an empty message shows the chat as is
    assert len(bob_chat) == 2 and not any("soldiers" in t for t in _chat_texts(bob_chat))


# ---- embedding ----------------------------------------------------------------------------------
def test_cancelled_chat_frees_the_model_and_the_next_question_runs(ui_url, ui_bot):
    """A cancelled gradio_client job (what Stop and a closed tab do) stops the engine within moments."""
    import uuid

    engine = ui_bot.summary_generator
    tag = uuid.uuid4().hex[:8]  # a new article: its summary cannot come from the cache
    [article_id] = ui_bot.ingest_text(
        f"Harbour survey {tag}\n\n" + " ".join(
            f"Survey boat {n} of the harbour board counted {n * 7} seals and {n * 3} herons near pier {n} "
            f"on the {n}th day of the count, the board's ecologist said." for n in range(1, 25)))
    try:
        client = Client(ui_url + "/", verbose=False)
        job = client.submit("Give me a medium summary of the latest article", "all", "medium", api_name="/chat")
        deadline = time.time() + 120
        while engine.idle_s > 0 and not job.done() and time.time() < deadline:  # until the model works
            time.sleep(0.05)
        assert not job.done() and engine.idle_s == 0, "the summary never reached the model"
        time.sleep(1.0)
        job.cancel()
        stopped = time.time()
        while engine.idle_s == 0 and time.time() - stopped < 30:
            time.sleep(0.05)
        assert engine.idle_s > 0, "the engine kept writing after the job was cancelled"
        _, chat = client.predict(SEED_QUESTION, "all", "short", api_name="/chat")
        assert SEED_FACT in _chat_texts(chat)[-1]
    finally:
        ui_bot.remove([article_id])


def test_embed_script_cors_and_frame_ancestors():
    with running_ui(_SlowBot()) as url, httpx.Client(base_url=url, timeout=10) as http:
        script = http.get("/embed.js")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
        bundle = re.search(r"""["']\./(assets/[^"']+\.js)["']""", script.text).group(1)
        assert http.get("/" + bundle).status_code == 200

        local = http.get("/config", headers={"Origin": "http://127.0.0.1:9999"})
        assert local.headers.get("access-control-allow-origin") == "http://127.0.0.1:9999"
        foreign = http.get("/config", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in foreign.headers

        widget = http.get("/widget/")
        assert widget.status_code == 200
        policy = widget.headers["content-security-policy"]
        assert "frame-ancestors 'self' http://localhost:* http://127.0.0.1:*" in policy
        assert http.get("/").headers["content-security-policy"] == "frame-ancestors 'self'"
        assert http.get("/widget", follow_redirects=True).status_code == 200


def test_configured_origins_replace_the_local_default():
    with running_ui(_SlowBot(), allowed_origins="https://news.example.com") as url, \
            httpx.Client(base_url=url, timeout=10) as http:
        allowed = http.get("/config", headers={"Origin": "https://news.example.com"})
        assert allowed.headers.get("access-control-allow-origin") == "https://news.example.com"
        local = http.get("/config", headers={"Origin": "http://127.0.0.1:9999"})
        assert "access-control-allow-origin" not in local.headers
        policy = http.get("/widget/").headers["content-security-policy"]
        assert policy == "frame-ancestors 'self' https://news.example.com"


# ---- the queue --------------------------------------------------------------------------------
def test_excess_load_gets_a_clear_retry_message():
    with running_ui(_SlowBot(), concurrency=1, max_queue=1) as url:
        clients = [Client(url + "/", verbose=False) for _ in range(4)]
        jobs = [c.submit("Anything?", None, "all", api_name="/ask") for c in clients]
        outcomes = []
        for job in jobs:
            try:
                outcomes.append(job.result(timeout=30)["answer"])
            except Exception as exc:  # the queue's refusal
                outcomes.append(str(exc))
    assert "slowly" in outcomes
    assert any("Queue is full" in o for o in outcomes), outcomes


# ---- rendering and chat requests (no server) ----------------------------------------------------
def test_rendered_text_is_escaped_and_inert():
    from qa_bot import Answer, Source
    from qa_bot.ui import render

    evil = "<script>alert(1)</script><img src=x onerror=alert(2)> **bold** $x$ {{7*7}} [a](javascript:alert(3))"
    html = render.answer(Answer(evil, True, [Source("id1", evil, evil, 0, len(evil), 0.9, 8, 16)]))
    assert "<script" not in html and "<img" not in html and "javascript:" not in html
    assert "**" not in html and "$" not in html and "{{" not in html
    assert "&lt;script&gt;" in html and "<mark>" in html
    assert "<img" not in render.article_list([_article(evil)]) and "<img" not in render.user_message(evil)


def _article(title: str):
    from qa_bot.articles import Article

    return Article(id="x", title=title, text="some text of an article", source=title)


@pytest.mark.parametrize("message,expected", [
    ("give me a short summary", ("short", "scope", "")),
    ("Summarise the article about the Biden Putin call", (None, "topic", "the Biden Putin call")),
    ("Can you summarize all the articles in bullet points?", ("bullets", "all", "")),
    ("tl;dr of the latest article", ("short", "latest", "")),
    ("bullet points of all articles", ("bullets", "all", "")),  # the phrase docs/ui.md gives
    ("Bullet points of the latest article please", ("bullets", "latest", "")),
    ("A detailed summary please", ("medium", "scope", "")),
    ("How many soldiers has Russia moved near Ukraine?", None),
    ("What did Putin say about sanctions?", None),
    ("How many bullets were fired?", None),
])
def test_summary_requests_are_recognised(message, expected):
    from qa_bot.ui.intents import parse_summary_request

    request = parse_summary_request(message)
    assert (None if request is None else (request.length, request.target, request.topic)) == expected


def test_settings_from_flags_and_environment(monkeypatch):
    import argparse

    from qa_bot.ui.settings import UISettings, add_ui_flags, ui_settings_from_args

    monkeypatch.setenv("QA_BOT_PORT", "8123")
    monkeypatch.setenv("QA_BOT_READ_ONLY", "true")
    monkeypatch.setenv("QA_BOT_ALLOWED_ORIGINS", "https://a.example, https://b.example/")
    parser = argparse.ArgumentParser()
    add_ui_flags(parser)
    settings = ui_settings_from_args(parser.parse_args(["--host", "0.0.0.0", "--no-read-only"]))
    assert (settings.host, settings.port, settings.read_only) == ("0.0.0.0", 8123, False)
    assert settings.origins == ["https://a.example", "https://b.example"]
    assert settings.local_url == "http://127.0.0.1:8123"
    with pytest.raises(ValueError):
        UISettings(port=0)
