"""All of qa_bot's settings in one place.

Every field has a documented default, can be set by an environment variable
(``QA_BOT_<FIELD>``, upper case) and by a command-line flag (``--field-name``).
Precedence: explicit keyword/flag > environment variable > default.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping, TypeVar

ENV_PREFIX = "QA_BOT_"
ENGINES = ("auto", "llama.cpp", "transformers", "openai")
EMBED_DTYPES = ("auto", "float32", "bfloat16")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qa_bot"


def _opt(default: Any, help: str, **kw: Any) -> Any:
    """A dataclass field carrying its help text (used for flags and docs)."""
    if callable(default) and not isinstance(default, (str, int, float, bool)):
        return field(default_factory=default, metadata={"help": help, **kw})
    return field(default=default, metadata={"help": help, **kw})


@dataclass
class Config:
    """Settings for models, chunking, retrieval, answering, limits and paths."""

    # paths
    index_dir: Path = _opt(lambda: PROJECT_ROOT / "indexes" / "default", "folder of the persisted index")
    cache_dir: Path = _opt(_default_cache_dir, "where prepared models and summaries are cached")
    summary_cache_dir: str = _opt("", "where summaries are cached (empty: <cache_dir>/summaries)")
    seeds_dir: Path = _opt(lambda: PROJECT_ROOT / "seeds", "articles indexed when no index exists yet")

    # models
    embed_model: str = _opt("all-minilm-l6-v2", "embedding model: the packaged default, a HF id or a local path")
    embed_dtype: str = _opt("auto", "embedding arithmetic: auto (bfloat16 where the CPU has AMX or AVX-512 BF16, "
                            "else float32), float32 or bfloat16")
    generator: str = _opt("qwen2.5-coder-1.5b", "model for summaries: qwen2.5-coder-1.5b, qwen2.5-coder-0.5b, a HF id or a path")
    answer_generator: str = _opt("", "model for answers (empty: same as --generator)")
    engine: str = _opt("auto", "what runs the generator: auto (llama.cpp for packaged models and .gguf files, "
                       "transformers for Hugging Face ids and folders, openai when --llm-url is set), llama.cpp, "
                       "transformers or openai")
    llm_url: str = _opt("", "an OpenAI-compatible server (vLLM, llama.cpp server, OpenVINO Model Server, or a pool "
                        "of them behind a balancer) to generate with instead of a local model")
    llm_model: str = _opt("", "model name to ask the --llm-url server for (empty: the server's default)")
    llm_api_key: str = _opt("", "API key for the --llm-url server", secret=True)
    engine_slots: int = _opt(0, "requests generated at once (0: 1 for a local model, 4 for a server URL)")
    queue_timeout: float = _opt(300.0, "longest wait (seconds) for the generator before a request is turned away")
    threads: int = _opt(0, "CPU threads (0: all cores, shared among the slots)")
    context_tokens: int = _opt(4096, "the local generator's context window in tokens (prompt and reply)")
    kv_cache_mb: int = _opt(512, "memory (MB) for kept prompt prefixes: system prompts and articles read ahead")

    # chunking
    chunk_chars: int = _opt(700, "target passage length in characters")
    chunk_max_chars: int = _opt(1200, "hard upper bound of a passage in characters")
    chunk_overlap_sentences: int = _opt(1, "sentences repeated between neighbouring passages")

    # retrieval
    top_k: int = _opt(4, "passages retrieved per question")
    context_passages: int = _opt(4, "passages the prompt's sentences are chosen from")
    context_sentences: int = _opt(6, "sentences kept from the retrieved passages for the prompt (0: whole passages)")
    hybrid_weight: float = _opt(0.3, "weight of the lexical BM25 score in hybrid fusion (0..1)")
    ann_threshold: int = _opt(50_000, "passage count above which an approximate (IVF) index is used: exact "
                              "search over 80k passages takes 40 ms here on a busy machine (bench/store_scale.py)")
    compact_dead_share: float = _opt(0.3, "removing articles compacts the vector file (copies its live rows) once "
                                     "removed passages' rows exceed this share of it (0: only `compact`)")

    # answering
    read_ahead_tokens: int = _opt(1500, "articles up to this many tokens are read ahead in the background and "
                                  "then answered from in full, without reading them again (0: off)")
    min_relevance: float = _opt(0.22, "below this best dense similarity a topic names no article (find_article)")
    min_dense: float = _opt(0.12, "abstain without asking the model only when the best dense similarity is below "
                            "this AND the passages hold under half of the question's key terms")
    weak_dense: float = _opt(0.4, "abstain without asking the model also when the best dense similarity is "
                             "below this and the passages hold under weak_terms of the question's key terms "
                             "(several articles retrieved, none read ahead)")
    weak_terms: float = _opt(0.3, "see weak_dense")
    min_about: float = _opt(0.15, "share of the question's key terms (rare words weigh more) that an answer's "
                            "source sentence (or the one before it) must hold")
    about_margin: float = _opt(0.3, "an answer's source sentence may be this much less about the question than "
                               "the sentence most about it, no more (catches swapped roles)")
    recheck_about: float = _opt(0.5, "when the model finds no answer, it is asked once more to quote the sentence "
                                "most about the question if that sentence holds this share of its key terms "
                                "(above 1: never)")
    min_span_coverage: float = _opt(0.5, "share of a reply's informative words its source span must hold")
    follow_up_evidence: float = _opt(0.6, "a question whose key terms the library places below this leans on "
                                     "the conversation and is rewritten from it")
    answer_max_tokens: int = _opt(48, "longest answer in tokens")
    summary_input_tokens: int = _opt(400, "summaries read the article's leading sentences up to this many tokens "
                                     "(0: the whole article)")
    history_turns: int = _opt(3, "chat turns used to understand a follow-up question")
    summarize_ahead: bool = _opt(True, "the chat server writes short summaries of new articles in the background")

    # limits
    max_question_chars: int = _opt(2_000, "longest question accepted")
    max_article_chars: int = _opt(2_000_000, "longest article text accepted (characters)")
    max_file_bytes: int = _opt(50_000_000, "largest file accepted for ingest (bytes)")
    url_timeout: float = _opt(15.0, "seconds before a URL fetch gives up")
    url_max_bytes: int = _opt(10_000_000, "largest URL response accepted (bytes)")
    allow_private_urls: bool = _opt(False, "allow fetching loopback and private-network URLs")

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type in ("Path", Path) and not isinstance(value, Path):
                setattr(self, f.name, Path(value))
        if not 0.0 <= self.hybrid_weight <= 1.0:
            raise ValueError(f"hybrid_weight must be within 0..1, got {self.hybrid_weight}")
        if self.chunk_chars <= 0 or self.chunk_max_chars < self.chunk_chars:
            raise ValueError("chunk_chars must be > 0 and <= chunk_max_chars")
        self.engine = str(self.engine).strip().lower().replace("llamacpp", "llama.cpp").replace("llama_cpp", "llama.cpp")
        if self.embed_dtype not in EMBED_DTYPES:
            raise ValueError(f"embed_dtype must be one of {', '.join(EMBED_DTYPES)}, got {self.embed_dtype!r}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.engine == "openai" and not self.llm_url:
            raise ValueError("engine openai needs --llm-url (the server's address)")
        if self.engine_slots < 0 or self.queue_timeout <= 0 or self.context_tokens < 512:
            raise ValueError("engine_slots must be >= 0, queue_timeout > 0 and context_tokens >= 512")
        if not 0.0 <= self.compact_dead_share < 1.0:
            raise ValueError(f"compact_dead_share must be within 0..1 (below 1), got {self.compact_dead_share}")
        if self.top_k < 1 or self.context_passages < 1:
            raise ValueError("top_k and context_passages must be >= 1")

    @property
    def answer_model(self) -> str:
        return self.answer_generator or self.generator

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "Config":
        """Defaults, then ``QA_BOT_*`` environment variables, then ``overrides``."""
        return settings_from_env(cls, env, overrides)

    def replace(self, **changes: Any) -> "Config":
        return dataclasses.replace(self, **changes)


T = TypeVar("T")


def settings_from_env(cls: type[T], env: Mapping[str, str] | None, overrides: Mapping[str, Any]) -> T:
    """An instance of the settings dataclass ``cls``: defaults, then ``QA_BOT_<FIELD>`` environment
    variables, then ``overrides`` (None values count as not given)."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for f in fields(cls):
        raw = env.get(ENV_PREFIX + f.name.upper())
        if raw is not None and raw != "":
            values[f.name] = _parse(f, raw)
    values.update({k: v for k, v in overrides.items() if v is not None})
    unknown = set(values) - {f.name for f in fields(cls)}
    if unknown:
        raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
    return cls(**values)


def _parse(f: dataclasses.Field, raw: str) -> Any:
    kind = _kind(f)
    if kind is bool:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return kind(raw)


def _kind(f: dataclasses.Field) -> type:
    name = f.type if isinstance(f.type, str) else f.type.__name__
    return {"int": int, "float": float, "bool": bool, "Path": Path}.get(name, str)


_ALIASES = {"index_dir": ("--index",), "generator": ("--model",)}


def add_settings_flags(parser: argparse.ArgumentParser, cls: type, title: str, show_defaults: bool = False) -> None:
    """One ``--flag`` per field of the settings dataclass ``cls`` (all default to None = not given).

    A field whose metadata says ``secret`` never shows its default.
    """
    group = parser.add_argument_group(title)
    for f in fields(cls):
        flags = ["--" + f.name.replace("_", "-"), *_ALIASES.get(f.name, ())]
        kind = _kind(f)
        default = "" if not show_defaults else "; default " + ("unset" if f.metadata.get("secret") else repr(f.default))
        help_text = f"{f.metadata.get('help', '')} [env {ENV_PREFIX}{f.name.upper()}{default}]"
        if kind is bool:
            group.add_argument(*flags, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            group.add_argument(*flags, dest=f.name, type=kind, default=None, help=help_text)


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """Add one ``--flag`` per Config field."""
    add_settings_flags(parser, Config, "settings (also QA_BOT_<NAME> environment variables)")


def config_from_args(args: argparse.Namespace) -> Config:
    """Build a Config from parsed flags, falling back to the environment."""
    given = {f.name: getattr(args, f.name, None) for f in fields(Config)}
    return Config.from_env(**given)
