"""Engines that write replies: one small interface (:class:`Engine`), three well-kept back ends.

- ``llama.cpp`` (default): the packaged GGUF as shipped, or any .gguf file;
- ``transformers``: any Hugging Face model id or folder (the reference path; GPU when present);
- ``openai``: any OpenAI-compatible server by URL (a pool of servers behind a balancer).
"""
from __future__ import annotations

import logging
from pathlib import Path

from ..config import Config
from ..model_store import GENERATORS, gguf_path
from .base import Cancelled, Engine, EngineBusy, Preempted, Request

log = logging.getLogger(__name__)

__all__ = ["Cancelled", "Engine", "EngineBusy", "Preempted", "Request", "engine_kind", "make_engine"]


def engine_kind(model: str, config: Config) -> str:
    """The engine ``config.engine`` means for ``model`` (resolving ``auto``)."""
    if config.engine != "auto":
        return config.engine
    if config.llm_url:
        return "openai"
    if model in GENERATORS or model.endswith(".gguf"):
        return "llama.cpp"
    return "transformers"


def make_engine(model: str, config: Config) -> Engine:
    """The engine that runs ``model`` (a packaged name, a .gguf path, a HF id or folder) under ``config``."""
    kind = engine_kind(model, config)
    if kind == "openai":
        from .openai_http import OpenAIEngine

        return OpenAIEngine(config.llm_url, config.llm_model, config.llm_api_key, config.engine_slots or 4,
                            config.queue_timeout)
    gguf = gguf_path(model, Path(config.cache_dir))
    if kind == "llama.cpp":
        if gguf is None:
            raise ValueError(f"the llama.cpp engine reads GGUF files: {model!r} is neither a packaged model "
                             f"({', '.join(GENERATORS)}) nor a .gguf file; use --engine transformers for it")
        from .llama_cpp import LlamaCppEngine

        return LlamaCppEngine(gguf, model, config.engine_slots or 1, config.threads, config.context_tokens,
                              config.kv_cache_mb, config.queue_timeout)
    from .hf import TransformersEngine

    return TransformersEngine(model, gguf, config.threads, config.queue_timeout)
