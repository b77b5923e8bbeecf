"""Public-widget limits and the admin password.

The sliding-window limiter with an injected clock, the settings, the Library's password checks, and every
refusal through gradio_client and plain HTTP against an in-process server with tiny limits. The server's
Bot is real (core limits, index, ingest) but its models are stand-ins (a hashed embedder, a canned reply),
so nothing here runs a language model.
"""
from __future__ import annotations

import argparse
import re
import threading
import time
from types import SimpleNamespace
from typing import Iterator

import httpx
import pytest
from gradio_client import Client

from conftest import HashEmbedder
from ui_helpers import running_ui

PASSWORD = "correct horse"
MAX_QUESTION = 100
MAX_ARTICLE = 2_000
MAX_FILE = 5_000
RATE = 3  # requests per minute per session on the test server


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CannedGenerator:
    """Stands in for the language model: the same short reply, streamed in three pieces."""

    name = "canned"

    def stream(self, messages: list[dict], max_new_tokens: int = 64, cache_upto: str | None = None) -> Iterator[str]:
        yield from ("73 ", "pelicans ", "[1]")

    def __call__(self, messages: list[dict], max_new_tokens: int = 64, cache_upto: str | None = None) -> str:
        return "".join(self.stream(messages, max_new_tokens))

    def has_prefix(self, messages: list[dict], cache_upto: str | None = None) -> bool:
        return False

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def article(n: int) -> str:
    return f"Harbour news number {n}\n\nThe ferry number {n} carried {n * 100} passengers across the bay on Monday."


@pytest.fixture(scope="module")
def small_bot(tmp_path_factory):
    """A real Bot with small input limits and stand-in models (set before first use, so none loads)."""
    from qa_bot import Bot

    folder = tmp_path_factory.mktemp("limits")
    bot = Bot(index_dir=folder / "index", cache_dir=folder / "cache", max_question_chars=MAX_QUESTION,
              max_article_chars=MAX_ARTICLE, max_file_bytes=MAX_FILE)
    bot._embedder = HashEmbedder()
    bot._generators[bot.config.answer_model] = CannedGenerator()
    bot.ingest_text("Pelican count at Lake Orm\n\nThe sanctuary at Lake Orm counted 73 pelicans this spring, "
                    "its warden Tomas Vik said.")
    return bot


@pytest.fixture(scope="module")
def guarded_url(small_bot) -> Iterator[str]:
    """A server with tiny limits and an admin password."""
    with running_ui(small_bot, requests_per_minute=RATE, uploads_per_session=1, admin_password=PASSWORD) as url:
        yield url


def client(url: str) -> Client:
    """A new gradio_client session."""
    return Client(url + "/", verbose=False)


def ids(bot) -> list[str]:
    return [a.id for a in bot.articles()]


def last_reply(chat: list[dict]) -> str:
    """The text of the chat's last message as gradio_client returns it."""
    content = chat[-1]["content"]
    text = " ".join(c.get("text", "") for c in content) if isinstance(content, list) else str(content)
    return re.sub(r"<[^>]+>", " ", text).replace("&#58;", ":")


# ---- the limiter (no server) --------------------------------------------------------------------
def test_sliding_window_limiter_counts_per_key_within_the_window():
    from qa_bot.ui.limits import SlidingWindowLimiter

    clock = FakeClock()
    limiter = SlidingWindowLimiter(3, 60, clock)
    for _ in range(3):  # events at t0, t0 + 10, t0 + 20
        assert limiter.acquire("a") == 0
        clock.advance(10)
    assert limiter.acquire("a") == pytest.approx(30)  # refused at t0 + 30: the first event leaves at t0 + 60
    assert limiter.wait_time("a") == pytest.approx(30)  # the refusal was not counted
    assert limiter.acquire("b") == 0  # another key has its own budget
    clock.advance(30)
    assert limiter.acquire("a") == 0  # one slot freed and taken ...
    assert limiter.acquire("a") == pytest.approx(10)  # ... and the next frees when t0 + 10 leaves
    clock.advance(3600)
    limiter.acquire("c")
    assert len(limiter) == 1  # idle keys are forgotten (bounded memory)
    unlimited = SlidingWindowLimiter(0, 60, clock)
    assert all(unlimited.acquire("a") == 0 for _ in range(1000)) and len(unlimited) == 0


def test_sliding_window_limiter_is_thread_safe():
    from qa_bot.ui.limits import SlidingWindowLimiter

    limiter = SlidingWindowLimiter(100, 60, FakeClock())
    granted: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        mine = sum(1 for _ in range(50) if limiter.acquire("shared") == 0)
        with lock:
            granted.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(granted) == 100


def test_limits_messages_and_upload_budget():
    from qa_bot.ui.limits import Client as Who, LimitExceeded, Limits, wait_text

    clock = FakeClock()
    limits = Limits(requests_per_minute=2, uploads_per_session=2, clock=clock)
    alice, bob = Who(session="alice"), Who(session="bob")
    limits.admit(alice)
    limits.admit(alice)
    with pytest.raises(LimitExceeded, match=r"^Too many requests: try again in 60 s\.$") as refused:
        limits.admit(alice)
    assert refused.value.retry_after == pytest.approx(60)
    limits.admit(bob)
    clock.advance(61)
    limits.admit(alice)

    with limits.reserve_upload(alice) as upload:
        upload.settle(2)
    with pytest.raises(LimitExceeded, match=r"^Upload limit reached: a session may add 2 articles per hour\. "
                                            r"Try again in 60 min\.$"):
        limits.reserve_upload(alice)
    limits.reserve_upload(bob).release()
    clock.advance(3601)
    limits.reserve_upload(alice).release()
    assert (wait_text(0.2), wait_text(59.1), wait_text(125)) == ("1 s", "60 s", "3 min")


def test_reservations_hold_a_slot_until_settled():
    """A reservation takes one slot at once; settling counts the real number instead (0 gives it back,
    more counts the rest); a reservation left unsettled at the end of its ``with`` block is given back."""
    from qa_bot.ui.limits import PASSWORD_FAILURES, Client as Who, LimitExceeded, Limits

    clock = FakeClock()
    limits = Limits(uploads_per_session=3, clock=clock, address_uploads_per_hour=4)
    alice, bob = Who(session="alice", address="10.0.0.7"), Who(session="bob", address="10.0.0.7")
    held = [limits.reserve_upload(alice) for _ in range(3)]  # three uploads in flight: the session's budget
    with pytest.raises(LimitExceeded, match="a session may add 3"):
        limits.reserve_upload(alice)
    held[0].release()
    held[1].settle(0)
    with limits.reserve_upload(alice):
        pass  # nothing settled: given back
    with pytest.raises(RuntimeError), limits.reserve_upload(alice):
        raise RuntimeError("adding failed")  # given back
    assert limits.uploads.wait_time(alice.key) == 0 and len(limits.uploads._events[alice.key]) == 1
    held[2].settle(3)  # one upload added three articles: the slot and two more
    held[2].settle(5)  # settled once only
    with pytest.raises(LimitExceeded, match="a session may add 3"):
        limits.reserve_upload(alice)
    limits.reserve_upload(bob).settle(1)  # the address's 4th article
    with pytest.raises(LimitExceeded, match="one address may add 4"):
        limits.reserve_upload(bob)
    clock.advance(3600)
    limits.reserve_upload(alice).release()

    for _ in range(2 * PASSWORD_FAILURES):  # the right password gives its try back, however often
        with limits.reserve_password_attempt(alice):
            pass
    for _ in range(PASSWORD_FAILURES):  # a wrong one keeps it
        limits.reserve_password_attempt(bob).settle(1)
    with pytest.raises(LimitExceeded, match=r"^Too many wrong admin passwords: try again in 15 min\.$"):
        limits.reserve_password_attempt(alice)  # per address: every session of it
    limits.reserve_password_attempt(Who(session="c", address="10.0.0.8")).release()

    unlimited = Limits(clock=clock)
    for _ in range(5):
        unlimited.reserve_upload(alice).settle(10)
    assert len(unlimited.uploads) == 0


def test_client_of_a_request():
    from qa_bot.ui.limits import Client as Who

    def request(path: str, session: str | None = "abc") -> SimpleNamespace:
        return SimpleNamespace(session_hash=session, client=SimpleNamespace(host="10.0.0.7"),
                               url=SimpleNamespace(path=path))

    assert Who.of(request("/gradio_api/queue/join")).key == "session:abc"  # browser tab, gradio_client
    assert Who.of(request("/widget/gradio_api/queue/join")).key == "session:abc"
    assert Who.of(request("/gradio_api/call/ask")).key == "address:10.0.0.7"  # plain HTTP: by address
    assert Who.of(request("/gradio_api/queue/join", None)).key == "address:10.0.0.7"
    assert Who.of(None).key == "address:local"  # a direct Python call


def test_settings_flags_and_environment(monkeypatch):
    from qa_bot.ui.settings import UISettings, add_ui_flags, ui_settings_from_args

    monkeypatch.setenv("QA_BOT_REQUESTS_PER_MINUTE", "7")
    monkeypatch.setenv("QA_BOT_ADMIN_PASSWORD", "from-env")
    parser = argparse.ArgumentParser()
    add_ui_flags(parser)
    settings = ui_settings_from_args(parser.parse_args(["--uploads-per-session", "0"]))
    assert (settings.requests_per_minute, settings.uploads_per_session, settings.admin_password) == (7, 0, "from-env")
    assert "from-env" not in repr(settings)  # the password stays out of logs and tracebacks
    assert "from-env" not in parser.format_help()
    defaults = UISettings()
    assert defaults.requests_per_minute > 0 and defaults.uploads_per_session > 0 and defaults.admin_password == ""
    with pytest.raises(ValueError):
        UISettings(requests_per_minute=-1)


# ---- the Library's write checks (no server) -------------------------------------------------------
def test_admin_password_checks_and_wrong_password_lockout(small_bot):
    from qa_bot.ui.limits import PASSWORD_FAILURES, PASSWORD_WINDOW, Client as Who, LimitExceeded, Limits
    from qa_bot.ui.service import AdminPasswordError, Library, ReadOnlyError

    clock = FakeClock()
    library = Library(small_bot, admin_password=PASSWORD, limits=Limits(clock=clock))
    before = ids(small_bot)
    mallory = Who(session="m", address="203.0.113.9")
    with pytest.raises(AdminPasswordError, match="needs the admin password"):
        library.add_text(article(1), password="", client=mallory)
    for _ in range(PASSWORD_FAILURES):
        with pytest.raises(AdminPasswordError, match="Wrong admin password"):
            library.remove(before[0], password="guess", client=Who(session="new", address="203.0.113.9"))
    with pytest.raises(LimitExceeded, match="Too many wrong admin passwords: try again in 15 min"):
        library.add_text(article(1), password=PASSWORD, client=mallory)  # locked out, even with the password
    assert ids(small_bot) == before

    admin = Who(session="a", address="198.51.100.1")  # another address is not affected
    added = library.add_text(article(1), password=PASSWORD, client=admin).added
    assert library.remove(added[0].id, password=PASSWORD, client=admin) == added
    clock.advance(PASSWORD_WINDOW)
    assert library.add_text(small_bot.articles()[0].text, password=PASSWORD, client=mallory).existing

    read_only = Library(small_bot, read_only=True, admin_password=PASSWORD)
    assert not read_only.needs_password
    with pytest.raises(ReadOnlyError):  # read-only refuses every write, password or not
        read_only.add_text(article(2), password=PASSWORD)
    assert ids(small_bot) == before


# ---- through the server ---------------------------------------------------------------------------
def test_rate_limit_refuses_with_a_retry_time_and_changes_nothing(guarded_url):
    alice, bob = client(guarded_url), client(guarded_url)
    for _ in range(RATE):
        alice.predict("How many pelicans did the sanctuary count?", None, "all", api_name="/ask")
    with pytest.raises(Exception, match=r"Too many requests: try again in \d+ s"):
        alice.predict("How many pelicans did the sanctuary count?", None, "all", api_name="/ask")
    with pytest.raises(Exception, match="Too many requests"):
        alice.submit("Anything?", None, "all", api_name="/ask_stream").result(timeout=30)
    assert alice.predict(api_name="/list_articles")  # listing is not rate-limited
    assert "answer" in bob.predict("How many pelicans?", None, "all", api_name="/ask")  # a session of its own

    carol = client(guarded_url)
    for n in range(RATE):
        _, chat = carol.predict(f"How many pelicans? ({n})", "all", "short", api_name="/chat")
    _, chat = carol.predict("One more?", "all", "short", api_name="/chat")
    assert len(chat) == 2 * RATE + 2 and "Too many requests: try again in" in last_reply(chat)
    _, chat = carol.predict("", "all", "short", api_name="/chat")  # the refusal was shown, not kept
    assert len(chat) == 2 * RATE
    for c in (alice, bob, carol):
        c.close()


def test_plain_http_calls_count_per_address(guarded_url):
    """Plain HTTP calls carry no session of their own, so they share the caller's address's budget."""
    with httpx.Client(base_url=guarded_url, timeout=30) as http:
        outcomes = []
        for _ in range(RATE + 1):
            event = http.post("/gradio_api/call/ask", json={"data": ["How many pelicans?", None, "all"]}).json()
            outcomes.append(http.get(f"/gradio_api/call/ask/{event['event_id']}").text)
    assert all("event: complete" in o for o in outcomes[:RATE])
    assert "event: error" in outcomes[RATE] and "Too many requests" in outcomes[RATE]


def test_question_over_the_length_limit_shows_the_core_message(guarded_url):
    c = client(guarded_url)
    with pytest.raises(Exception, match=f"the limit is {MAX_QUESTION}"):
        c.predict("why " * 5_000, None, "all", api_name="/ask")
    _, chat = c.predict("why " * 5_000, "all", "short", api_name="/chat")
    assert f"the limit is {MAX_QUESTION}" in last_reply(chat)
    c.close()


def test_admin_password_guards_writes_but_not_chat(guarded_url, small_bot):
    before = ids(small_bot)
    visitor, admin = client(guarded_url), client(guarded_url)
    with pytest.raises(Exception, match="needs the admin password"):
        visitor.predict(article(3), "", api_name="/add_article")
    with pytest.raises(Exception, match="Wrong admin password"):
        visitor.predict(before[0], "not it", api_name="/remove_article")
    with pytest.raises(Exception, match="needs the admin password"):
        visitor.predict("https://example.com/", api_name="/add_url")
    assert ids(small_bot) == before
    assert "answer" in client(guarded_url).predict("How many pelicans?", None, "all", api_name="/ask")

    added = admin.predict(article(3), "", PASSWORD, api_name="/add_article")["added"]
    assert len(added) == 1
    assert admin.predict(added[0], PASSWORD, api_name="/remove_article") == {"removed": added}
    assert ids(small_bot) == before

    components = httpx.get(guarded_url + "/config").json()["components"]
    field = next(c["props"] for c in components if c["props"].get("elem_id") == "qa-admin-password")
    assert field["type"] == "password" and field.get("value", "") == ""
    widget = httpx.get(guarded_url + "/widget/config").json()["components"]
    assert not any(c["props"].get("elem_id") == "qa-admin-password" for c in widget)
    for c in (visitor, admin):
        c.close()


def test_upload_limit_per_session(guarded_url, small_bot):
    before = ids(small_bot)
    first, second = client(guarded_url), client(guarded_url)
    existing = first.predict(small_bot.articles()[0].text, "", PASSWORD, api_name="/add_article")
    assert existing["added"] == []  # an article already there adds nothing and uses none of the budget
    added = first.predict(article(4), "", PASSWORD, api_name="/add_article")["added"]
    with pytest.raises(Exception, match="Upload limit reached: a session may add 1 articles per hour"):
        first.predict(article(5), "", PASSWORD, api_name="/add_article")
    assert ids(small_bot) == before + added
    other = second.predict(article(5), "", PASSWORD, api_name="/add_article")["added"]
    for article_id in added + other:
        second.predict(article_id, PASSWORD, api_name="/remove_article")
    assert ids(small_bot) == before
    for c in (first, second):
        c.close()


def test_article_size_limits(guarded_url, small_bot):
    from qa_bot.ui.server import max_request_bytes

    before = ids(small_bot)
    c = client(guarded_url)
    with pytest.raises(Exception, match=f"more than the limit of {MAX_ARTICLE:,} .*max_article_chars"):
        c.predict("Too long an article. " * 200, "", PASSWORD, api_name="/add_article")
    c.close()

    huge = max_request_bytes(MAX_ARTICLE) + 1
    with httpx.Client(base_url=guarded_url, timeout=30) as http:
        declared = http.post("/gradio_api/call/add_article", content=b"x" * huge,
                             headers={"content-type": "application/json"})
        assert declared.status_code == 413 and "larger than the limit" in declared.json()["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it arrives
            for _ in range(huge // 65_536 + 1):
                yield b" " * 65_536

        streamed = http.post("/gradio_api/queue/join", content=chunks(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413

        upload = http.post("/gradio_api/upload", files={"files": ("big.txt", b"word " * MAX_FILE)})
        assert upload.status_code == 413 and "maximum allowed size" in upload.text  # Gradio's max_file_size
    assert ids(small_bot) == before


@pytest.mark.browser
def test_ui_asks_for_the_admin_password(page, guarded_url, small_bot):
    from playwright.sync_api import expect

    before = ids(small_bot)
    page.goto(guarded_url)
    page.locator("#qa-input textarea").wait_for(timeout=60_000)
    page.locator("#qa-add").get_by_text("Add an article").first.click()
    page.locator("#qa-text textarea").fill(article(6))
    page.locator("#qa-add-text").click()
    expect(page.locator("#qa-add-status .qa-error")).to_contain_text("needs the admin password", timeout=30_000)
    assert ids(small_bot) == before
    page.locator("#qa-admin-password input").fill(PASSWORD)
    page.locator("#qa-add-text").click()
    expect(page.locator("#qa-add-status .qa-success")).to_contain_text("Harbour news number 6", timeout=30_000)
    added = [i for i in ids(small_bot) if i not in before]
    assert len(added) == 1
    small_bot.remove(added)


@pytest.mark.browser
def test_ui_shows_the_upload_limit(page, small_bot, tmp_path):
    """No admin password: no password field; a file and a pasted text, then the session's limit is reached."""
    from playwright.sync_api import expect

    before = ids(small_bot)
    story = tmp_path / "ferry.md"
    story.write_text(article(7), encoding="utf-8")
    with running_ui(small_bot, uploads_per_session=2) as url:
        page.goto(url)
        page.locator("#qa-input textarea").wait_for(timeout=60_000)
        assert page.locator("#qa-admin-password").count() == 0
        page.locator("#qa-add").get_by_text("Add an article").first.click()
        page.locator("#qa-text textarea").fill(article(8))
        page.locator("#qa-add-text").click()
        expect(page.locator("#qa-add-status .qa-success")).to_contain_text("Harbour news number 8", timeout=30_000)
        page.locator("#qa-add").get_by_role("tab", name="Upload").click()
        page.locator("#qa-file input[type=file]").set_input_files(str(story))
        expect(page.locator("#qa-add-status .qa-success")).to_contain_text("Harbour news number 7", timeout=30_000)
        page.locator("#qa-add").get_by_role("tab", name="Paste").click()
        page.locator("#qa-text textarea").fill(article(9))
        page.locator("#qa-add-text").click()
        expect(page.locator("#qa-add-status .qa-error")).to_contain_text("Upload limit reached", timeout=30_000)
    added = [i for i in ids(small_bot) if i not in before]
    assert len(added) == 2
    small_bot.remove(added)


def test_new_sessions_do_not_reset_the_limit_of_their_address():
    from qa_bot.ui.limits import Client, LimitExceeded, Limits

    clock = FakeClock()
    limits = Limits(requests_per_minute=2, uploads_per_session=5, clock=clock, address_requests_per_minute=3,
                    address_uploads_per_hour=2)
    sessions = [Client(session=f"s{i}", address="10.0.0.7") for i in range(3)]
    for client in sessions:  # one request from each new session: the address's budget of 3
        limits.admit(client)
    with pytest.raises(LimitExceeded, match="from your address"):
        limits.admit(Client(session="s-new", address="10.0.0.7"))
    limits.admit(Client(session="other", address="10.0.0.8"))  # another address has its own budget
    limits.reserve_upload(sessions[0]).settle(1)
    limits.reserve_upload(sessions[1]).settle(1)
    with pytest.raises(LimitExceeded, match=r"^Upload limit reached: one address may add 2 articles per hour\. "
                                            r"Try again in 60 min\.$"):
        limits.reserve_upload(sessions[2])
    clock.advance(61)
    limits.admit(Client(session="s-new", address="10.0.0.7"))  # the window moved on


@pytest.mark.parametrize("plain_http", [False, True], ids=["new-sessions", "plain-http"])
def test_requests_arriving_together_from_one_address_get_at_most_its_limit(plain_http):
    """Checking the budget and counting the request are one step: requests from one address that all
    start at once (each a new session, or plain HTTP calls counted per address) get at most the limit
    through, never more because several passed the check before any was counted."""
    import sys

    from qa_bot.ui.limits import Client, LimitExceeded, Limits

    limit, callers, rounds = 3, 16, 50
    switch = sys.getswitchinterval()
    # hand the GIL over as often as possible, so threads interleave anywhere: at the default interval a
    # separate check and record almost never got split, and the test would pass on racy code too
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(rounds):
            limits = Limits(requests_per_minute=limit if plain_http else 0, clock=FakeClock(),
                            address_requests_per_minute=0 if plain_http else limit)
            start = threading.Barrier(callers)
            admitted: list[int] = []
            refused: list[int] = []

            def call(n: int) -> None:
                who = Client(session=f"s{n}", address="10.0.0.7", plain_http=plain_http)
                start.wait()
                try:
                    limits.admit(who)
                    admitted.append(n)
                except LimitExceeded:
                    refused.append(n)

            threads = [threading.Thread(target=call, args=(n,)) for n in range(callers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert len(admitted) == limit and len(refused) == callers - limit
    finally:
        sys.setswitchinterval(switch)


class _Shelf:
    """Stands in for the Bot behind a Library: adding takes a moment (as indexing does), so requests sent
    together are all in flight at once; with ``fail`` adding raises."""

    def __init__(self, delay: float = 0.02, fail: bool = False) -> None:
        self.config = SimpleNamespace(max_article_chars=MAX_ARTICLE)
        self.delay = delay
        self.fail = fail
        self.added: list[str] = []
        self._lock = threading.Lock()

    def add_articles(self, articles) -> list[str]:
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("the index is not available")
        with self._lock:
            new = [a.id for a in articles if a.id not in self.added]
            self.added += new
        return new


def _together(callers: int, call) -> tuple[list[int], list[int]]:
    """Run ``call(n)`` for n < ``callers`` in threads that all start at once; the (allowed, refused) n."""
    import sys

    from qa_bot.ui.limits import LimitExceeded

    start = threading.Barrier(callers)
    allowed: list[int] = []
    refused: list[int] = []

    def run(n: int) -> None:
        start.wait()
        try:
            call(n)
            allowed.append(n)
        except LimitExceeded:
            refused.append(n)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads interleave anywhere (see the test above)
    try:
        threads = [threading.Thread(target=run, args=(n,)) for n in range(callers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(switch)
    return allowed, refused


@pytest.mark.parametrize("per_address", [False, True], ids=["one-session", "new-sessions"])
def test_uploads_sent_together_add_at_most_the_limit(per_address):
    """An upload holds a slot of the budget from its check until it knows how many articles it added:
    uploads sent together from one session (or from new sessions of one address) add at most the limit,
    never more because all passed the check before the first was counted."""
    from qa_bot.ui.limits import Client as Who, Limits
    from qa_bot.ui.service import Library

    limit, callers = 3, 16
    for _ in range(5):
        shelf = _Shelf()
        limits = Limits(uploads_per_session=0 if per_address else limit, clock=FakeClock(),
                        address_uploads_per_hour=limit if per_address else 0)
        library = Library(shelf, limits=limits)

        def upload(n: int) -> None:
            who = Who(session=f"s{n}" if per_address else "s", address="10.0.0.7")
            library.add_text(article(n), client=who)

        allowed, refused = _together(callers, upload)
        assert len(shelf.added) == len(allowed) == limit and len(refused) == callers - limit


def test_a_failed_or_empty_upload_gives_its_slot_back():
    """An upload that fails (adding raises, the text or address is refused) or adds nothing new (the article
    is already there) uses none of the budget."""
    from qa_bot import IngestError
    from qa_bot.ui.limits import Client as Who, LimitExceeded, Limits
    from qa_bot.ui.service import Library

    who = Who(session="s", address="10.0.0.7")
    limits = Limits(uploads_per_session=1, clock=FakeClock())
    broken = Library(_Shelf(delay=0, fail=True), limits=limits)
    for _ in range(3):
        with pytest.raises(RuntimeError, match="not available"):
            broken.add_text(article(1), client=who)
    library = Library(_Shelf(delay=0), limits=limits)
    with pytest.raises(IngestError, match="too short"):
        library.add_text("Too short.", client=who)
    with pytest.raises(IngestError, match="Not a web address"):
        library.add_url("ftp://example.com/story", client=who)
    with pytest.raises(ValueError, match="Please enter a web address"):
        library.add_url("  ", client=who)
    assert limits.uploads.wait_time(who.key) == 0
    assert len(library.add_text(article(1), client=who).added) == 1
    with pytest.raises(LimitExceeded, match="a session may add 1"):
        library.add_text(article(2), client=who)

    again = Library(library.bot, limits=Limits(uploads_per_session=1, clock=FakeClock()))
    for _ in range(3):  # article 1 is there already
        assert again.add_text(article(1), client=who).existing
    assert len(again.add_text(article(2), client=who).added) == 1


def test_wrong_passwords_sent_together_get_at_most_the_allowed_tries(monkeypatch):
    """A password check holds one of the address's wrong-password tries until it knows the answer: guesses
    sent together (each from a new session) get at most PASSWORD_FAILURES tries, the rest are refused
    without being checked."""
    import hmac

    from qa_bot.ui import service
    from qa_bot.ui.limits import PASSWORD_FAILURES, Client as Who, Limits
    from qa_bot.ui.service import AdminPasswordError, Library

    def slow_compare(given: bytes, expected: bytes) -> bool:
        time.sleep(0.002)  # comparing takes a moment (as a slow hash would), so guesses are all in flight
        return hmac.compare_digest(given, expected)

    monkeypatch.setattr(service, "hmac", SimpleNamespace(compare_digest=slow_compare))
    callers = 16
    for _ in range(5):
        library = Library(_Shelf(), admin_password=PASSWORD, limits=Limits(clock=FakeClock()))
        tried: list[int] = []

        def guess(n: int) -> None:
            with pytest.raises(AdminPasswordError, match="Wrong admin password"):
                library.remove("some-id", password=f"guess {n}", client=Who(session=f"s{n}", address="203.0.113.9"))
            tried.append(n)

        allowed, refused = _together(callers, guess)
        assert len(tried) == len(allowed) == PASSWORD_FAILURES and len(refused) == callers - PASSWORD_FAILURES
