"""A chat-tuned causal language model that writes answers and summaries, whole or streamed."""
from __future__ import annotations

import copy
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

from .model_store import generator_path

log = logging.getLogger(__name__)

Message = dict[str, str]


class Generator:
    """Greedy generation from chat messages; one generation at a time per model (CPU bound)."""

    def __init__(self, model: str = "qwen2.5-coder-1.5b", cache_dir: str | Path = "~/.cache/qa_bot",
                 threads: int = 0, quantize: bool = False, prompt_lookup: int = 0,
                 prefix_cache: bool = True) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if threads < 0 or prompt_lookup < 0:
            raise ValueError("threads and prompt_lookup must be >= 0")
        self.prompt_lookup = prompt_lookup
        self.prefix_cache = prefix_cache
        self._prefixes: dict[str, tuple[object, object]] = {}
        torch.set_num_threads(threads or os.cpu_count() or 1)
        self.name = model
        path = generator_path(model, Path(cache_dir).expanduser())
        started = time.perf_counter()
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
        if quantize:
            # per-channel scales: per-tensor int8 garbled names and numbers in our measurements
            from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

            self.model = quantize_dynamic(self.model, {torch.nn.Linear: per_channel_dynamic_qconfig},
                                          dtype=torch.qint8, inplace=True)
        log.info("Loaded generator %s from %s in %.1f s", model, path, time.perf_counter() - started)
        self._torch = torch
        self._lock = threading.Lock()
        self._counter = threading.Lock()
        self._waiting = 0  # foreground requests waiting for the model
        self._last_used = time.monotonic()

    def prompt_ids(self, messages: list[Message]):
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return self.tokenizer(text, return_tensors="pt")

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _prefix(self, messages: list[Message], input_ids):
        """KV cache of the fixed leading messages (system prompt, worked examples), computed once.

        Returns a private copy of the cached keys/values when the prompt starts with that prefix.
        """
        if not self.prefix_cache or len(messages) < 2:
            return None
        fixed = messages[:-1]
        key = json.dumps(fixed)
        if key not in self._prefixes:
            text = self.tokenizer.apply_chat_template(fixed, tokenize=False)
            ids = self.tokenizer(text, return_tensors="pt")["input_ids"]
            with self._torch.inference_mode():
                out = self.model(input_ids=ids, use_cache=True)
            if len(self._prefixes) > 32:
                self._prefixes.clear()
            self._prefixes[key] = (ids, out.cache)
        ids, cache = self._prefixes[key]
        n = ids.shape[1]
        if input_ids.shape[1] <= n or not self._torch.equal(input_ids[0, :n], ids[0]):
            return None
        return copy.deepcopy(cache)

    def _prefill(self, input_ids, cache, should_stop: Callable[[], bool], chunk: int = 32):
        """Read the prompt (all but its last token) into ``cache`` in chunks, checking
        ``should_stop`` between chunks, so background work gives way within about a second."""
        from transformers import DynamicCache

        cache = cache if cache is not None else DynamicCache(config=self.model.config)
        end = input_ids.shape[1] - 1
        for start in range(cache.get_seq_length(), end, chunk):
            if should_stop():
                return None
            self.model(input_ids=input_ids[:, start:min(start + chunk, end)], cache=cache, use_cache=True)
        return cache

    def _kwargs(self, inputs, max_new_tokens: int, messages: list[Message] | None = None,
                should_stop: Callable[[], bool] | None = None) -> dict:
        extra: dict = {}
        if self.prompt_lookup:
            extra["prompt_lookup_num_tokens"] = self.prompt_lookup
        cache = self._prefix(messages, inputs["input_ids"]) if messages else None
        if should_stop is not None:
            cache = self._prefill(inputs["input_ids"], cache, should_stop)
        if cache is not None:
            extra["cache"] = cache
        return dict(
            **inputs,
            **extra,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            temperature=None,
            top_p=None,
            top_k=None,
            pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        )

    def __call__(self, messages: list[Message], max_new_tokens: int = 64, background: bool = False) -> str:
        """The model's whole reply to ``messages``."""
        return "".join(self.stream(messages, max_new_tokens, background))

    @property
    def idle_s(self) -> float:
        """Seconds since the model last finished or was asked for something (0 while busy)."""
        return 0.0 if self._lock.locked() or self._waiting else time.monotonic() - self._last_used

    def stream(self, messages: list[Message], max_new_tokens: int = 64, background: bool = False) -> Iterator[str]:
        """The reply, piece by piece as tokens are decoded.

        ``background`` work (summaries computed ahead) gives way: it stops as soon as a foreground
        request waits for the model, and raises :class:`Preempted` so the caller can retry later.
        """
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        inputs = self.prompt_ids(messages)
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
                    with self._torch.inference_mode():
                        if not background:
                            self.model.generate(**self._kwargs(inputs, max_new_tokens, messages), streamer=streamer)
                            return
                        kwargs = self._kwargs(inputs, max_new_tokens, messages, should_stop=lambda: bool(self._waiting))
                        if kwargs.get("cache") is None and self._waiting:
                            preempted.set()
                            return
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


class Preempted(RuntimeError):
    """Background generation stopped to let a user's request run first."""
