"""transformers on any Hugging Face model id or local folder: the reference engine (float32 on the
CPU, float16 on a GPU when there is one). Slower than llama.cpp on a CPU; it is what any model the
hub offers runs on, and the yardstick the default engine's output is checked against."""
from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Iterator

from .base import Engine, Request

log = logging.getLogger(__name__)


class TransformersEngine(Engine):
    """Greedy generation with ``AutoModelForCausalLM`` (one request at a time)."""

    def __init__(self, model: str, gguf_file: str | Path | None = None, threads: int = 0,
                 max_wait_s: float = 300.0) -> None:
        """``gguf_file``: read the weights from this GGUF (dequantised) instead of ``model``."""
        super().__init__(1, max_wait_s)
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if threads < 0:
            raise ValueError("threads must be >= 0")
        torch.set_num_threads(threads or os.cpu_count() or 1)
        started = time.perf_counter()
        kwargs: dict = {}
        source = str(model)
        if gguf_file is not None:
            gguf = Path(gguf_file)
            source, kwargs = str(gguf.parent), {"gguf_file": gguf.name}
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = torch.float16 if self.device == "cuda" else torch.float32
        self.tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        self.model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, **kwargs).to(self.device).eval()
        self.name = Path(model).name if os.path.isdir(model) else model
        self._torch = torch
        log.info("Loaded %s with transformers (%s) in %.1f s", self.name, self.device, time.perf_counter() - started)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _generate(self, slot: int, request: Request) -> Iterator[str]:
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        text = self.tokenizer.apply_chat_template(list(request.messages), tokenize=False, add_generation_prompt=True)
        ids = self.tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"].to(self.device)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)

        done = threading.Event()  # a stop string was written

        class Stop(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs) -> bool:
                return done.is_set() or request.should_stop()

        errors: list[BaseException] = []

        def run() -> None:
            try:
                with self._torch.inference_mode():
                    self.model.generate(input_ids=ids, attention_mask=self._torch.ones_like(ids),
                                        max_new_tokens=request.max_tokens, do_sample=False, temperature=None,
                                        top_p=None, top_k=None, streamer=streamer,
                                        stopping_criteria=StoppingCriteriaList([Stop()]),
                                        pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id)
            except BaseException as exc:  # surfaced below
                errors.append(exc)
                streamer.end()

        thread = threading.Thread(target=run, daemon=True, name="qa_bot-transformers")
        thread.start()
        written = ""
        for piece in streamer:
            written += piece
            cut = min((written.find(s) for s in request.stop if s in written), default=-1)
            if cut >= 0:
                done.set()
                yield piece[:max(0, len(piece) - (len(written) - cut))]
                break
            if piece:
                yield piece
        thread.join()
        if errors:
            raise errors[0]
