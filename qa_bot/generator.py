"""A chat-tuned causal language model that writes answers and summaries, whole or streamed."""
from __future__ import annotations

import copy
import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Iterator

from . import int8
from .model_store import generator_path

log = logging.getLogger(__name__)

Message = dict[str, str]


class Generator:
    """Greedy generation from chat messages; one generation at a time per model (CPU bound)."""

    def __init__(self, model: str = "qwen2.5-coder-1.5b", cache_dir: str | Path = "~/.cache/qa_bot",
                 threads: int = 0, quantize: bool = False, prompt_lookup: int = 0,
                 prefix_cache: bool = True, kv_cache_mb: int = 512) -> None:
        """``kv_cache_mb``: memory for kept prompt prefixes (system prompts, articles read ahead)."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if threads < 0 or prompt_lookup < 0 or kv_cache_mb < 0:
            raise ValueError("threads, prompt_lookup and kv_cache_mb must be >= 0")
        self.prompt_lookup = prompt_lookup
        self.prefix_cache = prefix_cache
        self.kv_cache_bytes = kv_cache_mb * 2**20
        self._prefixes: OrderedDict[str, tuple[object, int]] = OrderedDict()  # key -> (cache, bytes)
        torch.set_num_threads(threads or os.cpu_count() or 1)
        self.name = model
        cache_dir = Path(cache_dir).expanduser()
        path = generator_path(model, cache_dir)
        started = time.perf_counter()
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = int8.load(path, int8.copy_path(path, cache_dir)) if quantize else None
        if self.model is None:
            self.model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
            if quantize:
                self.model = int8.quantize(self.model)
                try:
                    int8.save(self.model, int8.copy_path(path, cache_dir))
                except OSError as exc:  # a read-only cache only costs the next start its 30 s
                    log.warning("Could not save the int8 copy: %s", exc)
        log.info("Loaded generator %s%s from %s in %.1f s", model, " (int8)" if quantize else "", path,
                 time.perf_counter() - started)
        self._torch = torch
        self._lock = threading.Lock()
        self._counter = threading.Lock()
        self._waiting = 0  # foreground requests waiting for the model
        self._last_used = time.monotonic()

    @property
    def kv_bytes_per_token(self) -> int:
        """Memory one prompt token takes in a key/value cache."""
        c = self.model.config
        head_dim = getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads
        heads = getattr(c, "num_key_value_heads", None) or c.num_attention_heads
        return c.num_hidden_layers * 2 * heads * head_dim * 4

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    # ---- prompts and their kept prefixes ------------------------------------------------------
    def _split(self, messages: list[Message], cache_upto: str | None) -> tuple[str, str]:
        """The prompt text cut in two: the prefix worth keeping, and the rest.

        The prefix ends after ``cache_upto`` (a piece of the last message, e.g. an article read ahead),
        else after the fixed leading messages (system prompt, worked examples).
        """
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        cut = 0
        if cache_upto:
            at = text.find(cache_upto)
            if at < 0:
                raise ValueError("cache_upto is not part of the prompt")
            cut = at + len(cache_upto)
        elif self.prefix_cache and len(messages) >= 2:
            head = self.tokenizer.apply_chat_template(messages[:-1], tokenize=False)
            cut = len(head) if text.startswith(head) else 0
        return text[:cut], text[cut:]

    def _ids(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"] if text else []

    def has_prefix(self, messages: list[Message], cache_upto: str | None = None) -> bool:
        """Is the prefix of this prompt (see ``_split``) already read and kept?"""
        head, _ = self._split(messages, cache_upto)
        return bool(head) and _key(head) in self._prefixes

    def _kept(self, head: str, head_ids: list[int], should_stop: Callable[[], bool]):
        """A private copy of the key/value cache of ``head``, reading and keeping it if new.
        None when ``should_stop`` interrupted the reading. Call with the model lock held."""
        key = _key(head)
        if key not in self._prefixes:
            cache = self._prefill(self._torch.tensor([head_ids]), None, should_stop, upto=len(head_ids))
            if cache is None:
                return None
            size = _nbytes(cache)
            if size <= self.kv_cache_bytes:
                self._prefixes[key] = (cache, size)
                while sum(v[1] for v in self._prefixes.values()) > self.kv_cache_bytes:
                    self._prefixes.popitem(last=False)
                return copy.deepcopy(cache)
            return cache
        self._prefixes.move_to_end(key)
        return copy.deepcopy(self._prefixes[key][0])

    def _prefill(self, input_ids, cache, should_stop: Callable[[], bool], chunk: int = 32, upto: int | None = None):
        """Read ``input_ids[:upto]`` (default: all but the last token) into ``cache`` in chunks,
        checking ``should_stop`` between chunks, so background work gives way within about a second."""
        from transformers import DynamicCache

        cache = cache if cache is not None else DynamicCache(config=self.model.config)
        end = input_ids.shape[1] - 1 if upto is None else upto
        with self._torch.inference_mode():
            for start in range(cache.get_seq_length(), end, chunk):
                if should_stop():
                    return None
                self.model(input_ids=input_ids[:, start:min(start + chunk, end)], cache=cache, use_cache=True)
        return cache

    def warm(self, messages: list[Message], cache_upto: str) -> bool:
        """Read the prompt's prefix ahead of time and keep it (background work: gives way to requests).
        Returns False when a request interrupted it."""
        head, _ = self._split(messages, cache_upto)
        if _key(head) in self._prefixes:
            return True
        with self._lock:
            try:
                if self._waiting:
                    return False
                return self._kept(head, self._ids(head), lambda: bool(self._waiting)) is not None
            finally:
                self._last_used = time.monotonic()

    def _kwargs(self, messages: list[Message], cache_upto: str | None, max_new_tokens: int,
                should_stop: Callable[[], bool] | None = None) -> dict | None:
        """generate() arguments, with the prefix's cache filled in; None if ``should_stop`` interrupted."""
        head, tail = self._split(messages, cache_upto)
        head_ids = self._ids(head)
        input_ids = self._torch.tensor([head_ids + self._ids(tail)])
        stop = should_stop or (lambda: False)
        cache = self._kept(head, head_ids, stop) if head_ids else None
        if head_ids and cache is None:  # interrupted
            return None
        if should_stop is not None:
            cache = self._prefill(input_ids, cache, stop)
            if cache is None:
                return None
        extra: dict = {}
        if self.prompt_lookup:
            extra["prompt_lookup_num_tokens"] = self.prompt_lookup
        if cache is not None:
            extra["cache"] = cache
        return dict(
            input_ids=input_ids,
            attention_mask=self._torch.ones_like(input_ids),
            **extra,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            temperature=None,
            top_p=None,
            top_k=None,
            pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        )

    def __call__(self, messages: list[Message], max_new_tokens: int = 64, background: bool = False,
                 cache_upto: str | None = None) -> str:
        """The model's whole reply to ``messages``."""
        return "".join(self.stream(messages, max_new_tokens, background, cache_upto))

    @property
    def idle_s(self) -> float:
        """Seconds since the model last finished or was asked for something (0 while busy)."""
        return 0.0 if self._lock.locked() or self._waiting else time.monotonic() - self._last_used

    def stream(self, messages: list[Message], max_new_tokens: int = 64, background: bool = False,
               cache_upto: str | None = None) -> Iterator[str]:
        """The reply, piece by piece as tokens are decoded.

        ``background`` work (summaries computed ahead) gives way: it stops as soon as a foreground
        request waits for the model, and raises :class:`Preempted` so the caller can retry later.
        ``cache_upto``: keep the prompt's key/value cache up to the end of this text for later prompts
        that start the same way (see ``warm``).
        """
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        error: list[BaseException] = []
        preempted = threading.Event()
        generator = self

        class GiveWay(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs) -> bool:
                if generator._waiting:
                    preempted.set()
                return preempted.is_set()

        def run() -> None:
            try:
                if not background:
                    with self._counter:
                        self._waiting += 1
                try:
                    self._lock.acquire()
                finally:
                    if not background:
                        with self._counter:
                            self._waiting -= 1
                try:
                    if background and self._waiting:
                        preempted.set()
                        return
                    if not background:
                        kwargs = self._kwargs(messages, cache_upto, max_new_tokens)
                        with self._torch.inference_mode():
                            self.model.generate(**kwargs, streamer=streamer)
                        return
                    kwargs = self._kwargs(messages, cache_upto, max_new_tokens, should_stop=lambda: bool(self._waiting))
                    if kwargs is None:
                        preempted.set()
                        return
                    with self._torch.inference_mode():
                        self.model.generate(**kwargs, streamer=streamer, stopping_criteria=StoppingCriteriaList([GiveWay()]))
                finally:
                    self._last_used = time.monotonic()
                    self._lock.release()
            except BaseException as exc:  # surfaced to the consumer below
                error.append(exc)
            finally:
                streamer.end()

        thread = threading.Thread(target=run, daemon=True, name="qa_bot-generate")
        thread.start()
        for piece in streamer:
            if piece and not preempted.is_set():
                yield piece
        thread.join()
        if error:
            raise error[0]
        if preempted.is_set():
            raise Preempted("a foreground request needed the model")


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _nbytes(cache) -> int:
    """Memory held by a key/value cache."""
    return sum(t.nbytes for layer in getattr(cache, "layers", [])
               for t in (getattr(layer, "keys", None), getattr(layer, "values", None)) if t is not None)


class Preempted(RuntimeError):
    """Background generation stopped to let a user's request run first."""
