"""One chat session: turns kept in ``gr.State``, questions answered and summaries written as they stream.

A session's turns are plain dicts (``question``, ``html``, ``reply``): ``html`` is what the chat shows
for the reply, ``reply`` the plain text the bot sees as history (None for errors, which are not history).
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Iterator

from ..answering import Answer
from ..engines.base import Cancelled, Control, EngineBusy, controlled
from ..examples import example_questions
from ..summarizing import Summary
from . import render
from .intents import SummaryRequest, parse_summary_request
from .limits import LOCAL, Client, LimitExceeded
from .service import Library

log = logging.getLogger(__name__)

Turn = dict[str, Any]
Message = dict[str, Any]

EXAMPLE_POOL = 20  # newest articles example questions may come from (read one at a time, as needed)


def examples(library: Library) -> list[str]:
    """Example questions picked from the library's newest articles (see qa_bot.examples)."""
    try:
        return example_questions(library.newest_articles(EXAMPLE_POOL))
    except Exception:  # noqa: BLE001 - examples are a nicety: a library that cannot be read gets none
        log.exception("Could not pick example questions")
        return ["Give me a short summary"]


FAILED = "Something went wrong on the server. Please try again in a moment."
READING = "Reading the articles and checking the answer…"
WRITING = "Reading the article and writing the summary…"
MAX_TURNS = 50  # a session keeps its latest turns only (bounded memory per browser session)


def messages(turns: list[Turn]) -> list[Message]:
    """The chat transcript for gr.Chatbot."""
    out: list[Message] = []
    for turn in turns:
        out.append({"role": "user", "content": render.user_message(turn["question"])})
        out.append({"role": "assistant", "content": turn["html"]})
    return out


def history(turns: list[Turn]) -> list[tuple[str, str]]:
    """(question, reply) pairs the bot uses to understand follow-ups."""
    return [(t["question"], t["reply"]) for t in turns if t.get("reply")]


def _turn(question: str, html: str, reply: str | None = None) -> Turn:
    return {"question": question, "html": html, "reply": reply}


class ChatSession:
    """Turns chat messages into streamed answers or summaries; holds no per-user state itself."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def respond(self, message: str, turns: list[Turn] | None, scope: str = "all", length: str = "short",
                client: Client = LOCAL) -> Iterator[tuple[list[Message], list[Turn]]]:
        """Yield (chat messages, turns) while replying to ``message``: a question or a summary request."""
        turns = list(turns or [])
        question = (message or "").strip()
        if not question:
            yield messages(turns), turns
            return
        refused = self._refusal(question, turns, client)
        if refused is not None:
            yield refused
            return
        request = parse_summary_request(question)
        if request is None:
            replies = self._answer(question, turns, scope)
        else:
            replies = self._summary(request, scope, request.length or length)
        yield from self._run(question, turns, replies, READING if request is None else WRITING)

    def summarise(self, turns: list[Turn] | None, scope: str = "all", length: str = "short",
                  client: Client = LOCAL) -> Iterator[tuple[list[Message], list[Turn]]]:
        """The Summarise button: a summary of the chosen scope at the chosen length."""
        try:
            name = self.library.title_of(scope)
        except ValueError:  # the chosen article was removed meanwhile: _summary reports it
            name = "the chosen article"
        request = f"Summarise {name} ({length})"
        turns = list(turns or [])
        refused = self._refusal(request, turns, client)
        if refused is not None:
            yield refused
            return
        yield from self._run(request, turns, self._summary(None, scope, length), WRITING)

    # ---- internals ------------------------------------------------------------------------------
    def _refusal(self, question: str, turns: list[Turn],
                 client: Client) -> tuple[list[Message], list[Turn]] | None:
        """When ``client`` is over its request rate: the chat with the refusal shown once, turns unchanged."""
        try:
            self.library.admit(client)
        except LimitExceeded as exc:
            return messages(turns + [_turn(question, render.notice("warning", "Please wait:", str(exc)))]), turns
        return None

    def _run(self, question: str, turns: list[Turn], replies: Iterator[str | Turn],
             status: str = READING) -> Iterator[tuple[list[Message], list[Turn]]]:
        """Show the question with a status line ("Reading the articles…", or "Waiting: N ahead of you"
        while the model serves others), stream partial text, then the final turn.

        The reply is produced on a thread of its own under a :class:`Control`: when this generator is
        closed (Stop, New chat, a closed tab), the engine stops writing the reply within a token.
        """
        turns = turns[-(MAX_TURNS - 1):]
        shown = messages(turns + [_turn(question, render.pending(status))]), turns
        yield shown
        control = Control()
        items: "queue.Queue[Any]" = queue.Queue()
        done_marker = object()

        def pump() -> None:
            with controlled(control):
                try:
                    for item in replies:
                        items.put(item)
                        if control.cancel.is_set():
                            break
                except BaseException as exc:  # shown to the user below
                    items.put(exc)
                finally:
                    items.put(done_marker)

        threading.Thread(target=pump, daemon=True, name="qa_bot-reply").start()
        failed: Turn | None = None
        try:
            while True:
                try:
                    item = items.get(timeout=0.3)
                except queue.Empty:
                    # yield even when nothing changed: Gradio can only cancel this generator (Stop) between
                    # two of its steps, so a step never lasts longer than this
                    if control.waiting:
                        label = f"Waiting: {control.ahead} ahead of you…" if control.ahead else "Starting…"
                        shown = messages(turns + [_turn(question, render.pending(label))]), turns
                    yield shown
                    continue
                if item is done_marker:
                    return
                if isinstance(item, Cancelled):
                    return
                if isinstance(item, EngineBusy):
                    failed = _turn(question, render.notice("warning", "Please wait:", str(item)))
                    break
                if isinstance(item, ValueError):  # includes IngestError: a message meant for the user
                    failed = _turn(question, render.notice("error", "Sorry:", str(item)))
                    break
                if isinstance(item, BaseException):  # keep the chat usable, log the details for the operator
                    log.error("Chat reply failed for %r", question[:200], exc_info=item)
                    failed = _turn(question, render.notice("error", "Sorry:", FAILED))
                    break
                if isinstance(item, str):
                    shown = messages(turns + [_turn(question, render.streaming(item))]), turns
                    yield shown
                else:
                    item["question"] = question
                    done = turns + [item]
                    yield messages(done), done
                    return
        finally:
            control.stop()  # finished, failed or closed by Stop / a closed tab: free the engine
        if failed is not None:
            done = turns + [failed]
            yield messages(done), done

    def _answer(self, question: str, turns: list[Turn], scope: str) -> Iterator[str | Turn]:
        text = ""
        for item in self.library.ask_stream(question, history(turns), scope):
            if isinstance(item, Answer):
                yield _turn(question, render.answer(item), item.answer if item.found else None)
                return
            text += item
            yield text

    def _summary(self, request: SummaryRequest | None, scope: str, length: str) -> Iterator[str | Turn]:
        ids = self.library.summary_ids(scope, request)
        text = ""
        for item in self.library.summarize_stream(ids, length):
            if isinstance(item, Summary):
                yield _turn("", render.summary(item, self.library.get_articles(item.article_ids)), item.summary)
                return
            text += item
            yield text.replace("**", "")

