"""The look and page script: a Gradio theme on system fonts (nothing fetched from a CDN) and the app's stylesheet."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import gradio as gr

SANS = ["ui-sans-serif", "system-ui", "-apple-system", gr.themes.Font("Segoe UI"), "Roboto",
        gr.themes.Font("Helvetica Neue"), "Arial", gr.themes.Font("DejaVu Sans"), "sans-serif"]
MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", gr.themes.Font("DejaVu Sans Mono"), "monospace"]


def theme() -> gr.themes.Base:
    """Soft indigo on slate, rounded, system fonts only (no web-font requests)."""
    return gr.themes.Soft(
        primary_hue=gr.themes.colors.indigo,
        secondary_hue=gr.themes.colors.sky,
        neutral_hue=gr.themes.colors.slate,
        radius_size=gr.themes.sizes.radius_lg,
        font=SANS,
        font_mono=MONO,
    ).set(
        body_background_fill="#f6f7fb",
        body_background_fill_dark="#0f1117",
        block_border_width="1px",
        block_shadow="none",
        button_primary_shadow="none",
        button_large_radius="*radius_lg",
        input_background_fill="white",
        input_background_fill_dark="*neutral_900",
    )


@lru_cache(maxsize=1)
def css() -> str:
    """The app's stylesheet (chat bubbles, sources, notices, library panel, widget)."""
    return (Path(__file__).with_name("style.css")).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def page_js() -> str:
    """Script run when a page loads: accessible names Gradio leaves out, the panel closed on phones,
    the API docs opened by ``/?view=api``."""
    return (Path(__file__).with_name("page.js")).read_text(encoding="utf-8")
