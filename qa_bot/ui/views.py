"""The two pages: the full chat app (library panel, chat, summaries) and the compact embeddable widget."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Iterator

import gradio as gr

from ..articles import Article, ArticleInfo
from . import render
from .api import GENERATE, register_api
from .chat import ChatSession, Message, Turn, examples
from .limits import Client
from .service import ALL, PAGE, AddResult, Library, NotAllowed

log = logging.getLogger(__name__)

UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".pdf"]
LENGTHS = [("Short", "short"), ("Medium", "medium"), ("Bullets", "bullets")]
PLACEHOLDER = (
    "<div class='qa-welcome'><div class='qa-welcome-title'>Ask about your news articles</div>"
    "<div class='qa-welcome-text'>Answers come only from the articles in the library, with the passage "
    "each one is based on. Ask a follow-up, or ask for a summary.</div></div>"
)

# The sidebar's "API" link opens Gradio's API docs panel (its footer button; the footer itself is hidden).
OPEN_API_DOCS_JS = """
element.querySelector('.qa-api-link')?.addEventListener('click', (event) => {
  const button = document.querySelector('footer .show-api');
  if (button) { event.preventDefault(); button.click(); }
});
"""

ChatOutput = tuple[Any, list[Message], list[Turn]]


def _chatbot(questions: list[str]) -> gr.Chatbot:
    return gr.Chatbot(
        value=[], show_label=False, elem_id="qa-chat", height="100%", layout="bubble", placeholder=PLACEHOLDER,
        examples=[{"text": q} for q in questions], latex_delimiters=[], buttons=[],
        feedback_options=None, autoscroll=True, group_consecutive_messages=False, sanitize_html=True,
    )


def _composer(placeholder: str) -> gr.Textbox:
    """The message box; its (hidden) label is its accessible name. Send/Stop get theirs from page.js."""
    return gr.Textbox(label="Your question", placeholder=placeholder, show_label=False, container=False,
                      lines=1, max_lines=6,
                      submit_btn=True, stop_btn=True, autofocus=False, elem_id="qa-input")


def _wire_chat(session: ChatSession, msg: gr.Textbox, chatbot: gr.Chatbot, state: gr.State,
               scope_input: gr.components.Component, length_input: gr.components.Component,
               concurrency: int, api_visibility: str) -> list:
    """Submit, example clicks, stop and clear for one chat; returns the long-running events."""

    def chat(message: str, turns: list[Turn], scope: str, length: str,
             request: gr.Request | None = None) -> Iterator[ChatOutput]:
        """The chat of this session: a question or a summary request in, the whole transcript out
        (earlier turns of the same session are its history)."""
        for shown, new_turns in session.respond(message, turns, scope, length, Client.of(request)):
            yield "", shown, new_turns

    def example(turns: list[Turn], scope: str, length: str, evt: gr.SelectData,
                request: gr.Request | None = None) -> Iterator[ChatOutput]:
        yield from chat(str((evt.value or {}).get("text", "")), turns, scope, length, request)

    outputs = [msg, chatbot, state]
    common = dict(concurrency_limit=concurrency, concurrency_id=GENERATE, show_progress="hidden")
    submitted = msg.submit(chat, [msg, state, scope_input, length_input], outputs, api_name="chat",
                           api_visibility=api_visibility, **common)
    picked = chatbot.example_select(example, [state, scope_input, length_input], outputs,
                                    api_name="ui_example", api_visibility="private", **common)
    msg.stop(None, None, None, cancels=[submitted, picked], api_visibility="private")
    chatbot.clear(lambda: [], None, state, queue=False, api_visibility="private")
    return [submitted, picked]


class _LibraryPanel:
    """Handlers of the library panel: list (the newest page, or those matching the filter), add (text, file,
    URL), remove. Writes are refused when read-only or without the admin password (when one is set), and
    count against the session's limits."""

    def __init__(self, library: Library, page: int = PAGE) -> None:
        self.library = library
        self.page = page

    def views(self, scope_value: str = ALL, query: str = "") -> tuple[str, Any, Any, Any]:
        """Article list HTML, scope dropdown, remove dropdown and filter box, reflecting the library now:
        the newest ``page`` articles (matching ``query``), never the whole library."""
        query = (query or "").strip()
        shown = self.library.list_articles(self.page, 0, query)
        total = self.library.count()
        matching = self.library.count(query) if query else total
        choices = render.scope_choices(shown)
        ids = {value for _, value in choices}
        if scope_value and scope_value not in ids:  # a chosen article stays in scope while it exists
            kept = self.library.titles([scope_value])
            choices += render.scope_choices(ArticleInfo(i, title) for i, title in kept.items())[1:]
            ids = {value for _, value in choices}
        scope = gr.update(choices=choices, value=scope_value if scope_value in ids else ALL)
        remove = gr.update(choices=render.scope_choices(shown)[1:], value=None)
        finder = gr.update(visible=bool(query) or total > self.page)
        html = render.article_list(shown, self.library.read_only, total, matching, query)
        return html, scope, remove, finder

    def _after_add(self, action: Callable[[Client], AddResult], scope_value: str, query: str,
                   request: gr.Request | None, progress: gr.Progress, label: str) -> tuple[Any, ...]:
        """Run one add action with progress; (status, list, scope, remove, filter, clear-inputs?) for the UI."""
        progress(0.1, desc=label)
        try:
            result = action(self.library.admit(Client.of(request)))
        except (ValueError, NotAllowed) as exc:
            status = render.status("error", str(exc))
            return (status, *self.views(scope_value, query), gr.update())
        except Exception:
            log.exception("Adding an article failed")
            status = render.status("error", "Adding the article failed on the server. Please try again.")
            return (status, *self.views(scope_value, query), gr.update())
        progress(1.0, desc="Indexed")
        kind = "success" if result.added else "info"
        return (render.status(kind, result.message()), *self.views(scope_value, query), "")

    def add_text(self, text: str, title: str, password: str, scope_value: str, query: str,
                 request: gr.Request | None = None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        out = self._after_add(lambda client: self.library.add_text(text, title, password=password, client=client),
                              scope_value, query, request, progress, "Indexing the text")
        return (*out, out[-1])  # clears both text and title on success

    def add_url(self, url: str, password: str, scope_value: str, query: str, request: gr.Request | None = None,
                progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        return self._after_add(lambda client: self.library.add_url(url, password=password, client=client),
                               scope_value, query, request, progress, "Fetching the page")

    def add_file(self, file: str | None, password: str, scope_value: str, query: str,
                 request: gr.Request | None = None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        if not file:
            return (render.status("error", "Choose a file first."), *self.views(scope_value, query), gr.update())
        out = self._after_add(
            lambda client: self.library.add_file(file, Path(file).name, password=password, client=client),
            scope_value, query, request, progress, "Reading the file")
        return (*out[:-1], None)

    def confirm_remove(self, article_id: str | None) -> tuple[Any, str, Any]:
        """First step of removing: name the article and show "Yes, remove it" / "Cancel" (nothing removed
        yet). Returns (status, the id awaiting confirmation, the confirmation row)."""
        titles = self.library.titles([article_id] if article_id else [])
        if not article_id or article_id not in titles:
            return render.status("error", "Choose an article to remove."), "", gr.update(visible=False)
        return (render.status("warning", f"Remove “{titles[article_id]}”? Questions can no longer use it; "
                              "to undo, add it again."), article_id, gr.update(visible=True))

    def cancel_remove(self) -> tuple[Any, str, Any]:
        return render.status("info", "Nothing was removed."), "", gr.update(visible=False)

    def remove(self, article_id: str | None, password: str, scope_value: str, query: str,
               request: gr.Request | None = None) -> tuple[Any, ...]:
        """Second step: remove the confirmed article; (status, list, scope, remove, filter, pending id, row)."""
        done = ("", gr.update(visible=False))
        try:
            client = self.library.admit(Client.of(request))
            removed: list[Article] = self.library.remove(article_id or "", password=password, client=client)
        except (ValueError, NotAllowed) as exc:
            return (render.status("error", str(exc)), *self.views(scope_value, query), *done)
        except Exception:
            log.exception("Removing an article failed")
            return (render.status("error", "Removing the article failed on the server."),
                    *self.views(scope_value, query), *done)
        if not removed:
            return (render.status("info", "That article was already removed."), *self.views(scope_value, query),
                    *done)
        return (render.status("success", f"Removed “{removed[0].title}”."), *self.views(scope_value, query), *done)


def build_main(library: Library, concurrency: int = 4, api_inputs: dict[str, list] | None = None) -> gr.Blocks:
    """The full app: library panel (list, add, remove), chat with sources, scope, length and Summarise.
    ``api_inputs`` receives the named API endpoints' input defaults."""
    session = ChatSession(library)
    panel = _LibraryPanel(library)
    writable = not library.read_only
    with gr.Blocks(title="qa_bot · ask your news", fill_height=True) as demo:
        state = gr.State([])
        with gr.Sidebar(width=340, open=True, elem_id="qa-sidebar"):
            gr.HTML("<div class='qa-brand'><span class='qa-logo'>qa</span><div><div class='qa-brand-name'>"
                    "qa_bot</div><div class='qa-brand-sub'>Answers from your news articles</div></div></div>")
            gr.HTML("<div class='qa-section-title'>Library"
                    + ("" if writable else " <span class='qa-badge'>read-only</span>") + "</div>")
            finder = gr.Textbox(label="Find an article", placeholder="words of its title or source", max_lines=1,
                                visible=False, elem_id="qa-find")
            article_list = gr.HTML(elem_id="qa-articles", padding=False)
            if library.needs_password:
                password = gr.Textbox(label="Admin password", type="password", max_lines=1,
                                      placeholder="needed to add or remove articles", elem_id="qa-admin-password")
            else:
                password = gr.State("")
            with gr.Accordion("Add an article", open=False, visible=writable, elem_id="qa-add"):
                with gr.Tabs():
                    with gr.Tab("Paste", elem_id="qa-tab-paste"):
                        title_in = gr.Textbox(label="Title (optional)", max_lines=1, elem_id="qa-title")
                        text_in = gr.Textbox(label="Article text", lines=5, max_lines=12, elem_id="qa-text")
                        add_text_btn = gr.Button("Add article", variant="primary", elem_id="qa-add-text")
                    with gr.Tab("Upload", elem_id="qa-tab-upload"):
                        file_in = gr.File(label=".txt, .md, .html or .pdf", file_types=UPLOAD_TYPES,
                                          type="filepath", file_count="single", height=120, elem_id="qa-file")
                    with gr.Tab("URL", elem_id="qa-tab-url"):
                        url_in = gr.Textbox(label="Web address", placeholder="https://…", max_lines=1,
                                            elem_id="qa-url")
                        add_url_btn = gr.Button("Fetch and add", variant="primary", elem_id="qa-add-url")
                add_status = gr.HTML(elem_id="qa-add-status", padding=False)
            with gr.Accordion("Remove an article", open=False, visible=writable, elem_id="qa-remove"):
                remove_pick = gr.Dropdown(label="Article", choices=[], elem_id="qa-remove-pick")
                remove_btn = gr.Button("Remove…", variant="stop", size="sm", elem_id="qa-remove-btn")
                remove_status = gr.HTML(padding=False, elem_id="qa-remove-status")
                pending_removal = gr.State("")
                with gr.Row(visible=False, elem_id="qa-remove-confirm") as confirm_row:
                    confirm_btn = gr.Button("Yes, remove it", variant="stop", size="sm", elem_id="qa-remove-yes")
                    cancel_btn = gr.Button("Cancel", size="sm", elem_id="qa-remove-cancel")
            gr.HTML("<div class='qa-foot'>Runs on this machine: nothing you type leaves it.<br>"
                    "<a href='widget' target='_blank'>Widget</a> · <a class='qa-api-link' href='?view=api'>API</a>"
                    "</div>", js_on_load=OPEN_API_DOCS_JS)
        with gr.Column(elem_id="qa-main", scale=1):
            with gr.Row(elem_id="qa-header", equal_height=True):
                gr.HTML("<div class='qa-title'>Ask your news</div>"
                        "<div class='qa-subtitle'>Short answers with their sources, follow-ups and summaries</div>",
                        padding=False)
                new_chat = gr.Button("New chat", size="sm", variant="secondary", scale=0, min_width=110,
                                     elem_id="qa-new-chat")
            chatbot = _chatbot(examples(library))
            with gr.Group(elem_id="qa-composer"):
                msg = _composer("Ask a question, or ask for a summary…")
                with gr.Row(elem_id="qa-controls", equal_height=True):
                    scope = gr.Dropdown(label="Articles", choices=[("All articles", ALL)], value=ALL,
                                        scale=3, min_width=180, elem_id="qa-scope")
                    length = gr.Radio(LENGTHS, value="short", label="Summary length", scale=2, min_width=220,
                                      elem_id="qa-length")
                    summarise = gr.Button("Summarise", variant="primary", size="md", scale=0, min_width=130,
                                          elem_id="qa-summarise")
                    stop_summary = gr.Button("Stop", variant="stop", size="md", scale=0, min_width=130,
                                             visible=False, elem_id="qa-stop-summary")

        def summarise_chat(turns: list[Turn], scope_value: str, length_value: str,
                           request: gr.Request | None = None) -> Iterator[tuple[list[Message], list[Turn]]]:
            yield from session.summarise(turns, scope_value, length_value, Client.of(request))

        running = _wire_chat(session, msg, chatbot, state, scope, length, concurrency, "public")
        # while a summary is written, its button becomes Stop (which frees the model at once)
        writing = (gr.update(visible=False), gr.update(visible=True))
        idle = (gr.update(visible=True), gr.update(visible=False))
        buttons = [summarise, stop_summary]
        summarised = summarise.click(lambda: writing, None, buttons, queue=False, api_visibility="private").then(
            summarise_chat, [state, scope, length], [chatbot, state], concurrency_limit=concurrency,
            concurrency_id=GENERATE, show_progress="hidden", api_name="ui_summarise", api_visibility="private")
        summarised.then(lambda: idle, None, buttons, queue=False, api_visibility="private")
        stop_summary.click(lambda: idle, None, buttons, cancels=[summarised], queue=False, api_visibility="private")
        new_chat.click(lambda: ([], []), None, [chatbot, state], queue=False, cancels=[*running, summarised],
                       api_name="ui_new_chat", api_visibility="private")

        lists = [article_list, scope, remove_pick, finder]
        add_outputs = [add_status, *lists]
        writes = dict(concurrency_limit=1, concurrency_id="write", api_visibility="private")
        add_text_btn.click(panel.add_text, [text_in, title_in, password, scope, finder],
                           [*add_outputs, text_in, title_in], api_name="ui_add_text", **writes)
        for trigger in (add_url_btn.click, url_in.submit):
            trigger(panel.add_url, [url_in, password, scope, finder], [*add_outputs, url_in], api_name="ui_add_url",
                    **writes)
        file_in.upload(panel.add_file, [file_in, password, scope, finder], [*add_outputs, file_in],
                       api_name="ui_add_file", **writes)
        remove_btn.click(panel.confirm_remove, [remove_pick], [remove_status, pending_removal, confirm_row],
                         queue=False, api_name="ui_confirm_remove", api_visibility="private")
        cancel_btn.click(panel.cancel_remove, None, [remove_status, pending_removal, confirm_row], queue=False,
                         api_name="ui_cancel_remove", api_visibility="private")
        confirm_btn.click(panel.remove, [pending_removal, password, scope, finder],
                          [remove_status, *lists, pending_removal, confirm_row], api_name="ui_remove", **writes)
        demo.load(panel.views, [scope, finder], lists, queue=False, api_name="ui_refresh", api_visibility="private")
        finder.input(panel.views, [scope, finder], lists, queue=False, trigger_mode="always_last",
                     api_name="ui_find", api_visibility="private")

        defaults = register_api(library, concurrency)
        if api_inputs is not None:
            api_inputs.update(defaults)
    return demo


def build_widget(library: Library, concurrency: int = 4) -> gr.Blocks:
    """The compact chat for an iframe or <gradio-app> on another site: chat, answers, sources; no admin."""
    session = ChatSession(library)
    with gr.Blocks(title="qa_bot", fill_height=True) as demo:
        state = gr.State([])
        scope = gr.State(ALL)
        length = gr.State("short")
        with gr.Column(elem_id="qa-widget"):
            with gr.Row(elem_id="qa-widget-head", equal_height=True):
                gr.HTML("<div class='qa-brand qa-brand-sm'><span class='qa-logo'>qa</span>"
                        "<div class='qa-brand-name'>Ask the news</div></div>", padding=False)
                new_chat = gr.Button("New chat", size="sm", variant="secondary", scale=0, min_width=90,
                                     elem_id="qa-new-chat")
            chatbot = _chatbot(examples(library))
            msg = _composer("Ask about the news…")
        running = _wire_chat(session, msg, chatbot, state, scope, length, concurrency, "private")
        new_chat.click(lambda: ([], []), None, [chatbot, state], queue=False, cancels=running,
                       api_name="ui_new_chat", api_visibility="private")
    return demo
