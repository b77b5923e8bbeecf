"""llama.cpp on a GGUF file, as shipped (llama-cpp-python): the default engine.

The quantised weights run as they are (no conversion, output equal to float32 greedy decoding on
the project's checks), load in about two seconds and are memory-mapped, so several slots (each its
own llama.cpp context and key/value cache) share one copy of the weights. Prompts are read in short
chunks so that Stop, or a user's question arriving during background work, frees the slot within
a fraction of a second. Prefixes worth keeping (the system prompt, articles read ahead) are saved
with llama.cpp's per-sequence state API and restored into whichever slot needs them.

A reply must not depend on what a slot read before: llama.cpp's kernels round differently for chunks of
other sizes, so a prompt read from where an earlier one diverged could get other logits (up to 0.5 apart on
NYT questions) and, now and then, another answer. Every prompt is therefore read in the same chunks, fixed
by the prompt alone (see ``_plan``), and what a slot or a kept prefix holds is reused only up to the last
chunk end it shares with that plan. The chunk grid starts again where the system prompt and where a kept
prefix end, so that prompts sharing only the one or the other still share their chunks.
"""
from __future__ import annotations

import codecs
import ctypes
import functools
import logging
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Iterator, Sequence

from .base import Engine, Message, Request

log = logging.getLogger(__name__)

PREFIXES_TOKENISED = 16  # prompt prefixes whose token ids are remembered (see _prompt_ids)


class KeptPrefixes:
    """Key/value states of prompt prefixes (token ids -> llama.cpp sequence state, and the ends of the
    chunks it was read in), least recently used dropped first once over ``capacity_bytes``."""

    def __init__(self, capacity_bytes: int) -> None:
        self.capacity_bytes = capacity_bytes
        self._states: OrderedDict[tuple[int, ...], tuple[bytes, tuple[int, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, tokens: Sequence[int]) -> bool:
        with self._lock:
            return tuple(tokens) in self._states

    def longest(self, tokens: Sequence[int]) -> tuple[tuple[int, ...], bytes, tuple[int, ...]] | None:
        """The kept prefix of ``tokens`` with the most tokens, if any."""
        with self._lock:
            best = None
            for key in self._states:
                if len(key) <= len(tokens) and (best is None or len(key) > len(best)) \
                        and tuple(tokens[:len(key)]) == key:
                    best = key
            if best is None:
                return None
            self._states.move_to_end(best)
            return best, *self._states[best]

    def put(self, tokens: Sequence[int], state: bytes, chunks: Sequence[int]) -> None:
        if len(state) > self.capacity_bytes:
            return
        key = tuple(tokens)
        with self._lock:
            for shorter in [k for k in self._states if len(k) < len(key) and key[:len(k)] == k]:
                del self._states[shorter]  # a longer state of the same prompt replaces a partial one
            self._states[key] = (state, tuple(chunks))
            self._states.move_to_end(key)
            while sum(len(s) for s, _ in self._states.values()) > self.capacity_bytes:
                self._states.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._states.clear()


def cpu_features() -> list[str]:
    """The SIMD features llama.cpp detected on this CPU (what it will run on), e.g. AVX512_VNNI."""
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
    return sorted({name.strip().split(":")[-1].strip() for name, _, value in
                   (part.partition("=") for part in info.split("|")) if value.strip() == "1"})


class LlamaCppEngine(Engine):
    """Greedy chat generation with llama.cpp on ``slots`` contexts sharing memory-mapped weights."""

    def __init__(self, model_path: str | Path, name: str = "", slots: int = 1, threads: int = 0,
                 context_tokens: int = 4096, kv_cache_mb: int = 512, max_wait_s: float = 300.0,
                 chunk_tokens: int = 64) -> None:
        """``threads``: CPU threads per slot (0: the machine's cores divided among the slots);
        ``kv_cache_mb``: memory for kept prompt prefixes; ``chunk_tokens``: prompt tokens read between
        two checks for Stop."""
        super().__init__(slots, max_wait_s)
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        if context_tokens < 512 or chunk_tokens < 1 or threads < 0 or kv_cache_mb < 0:
            raise ValueError("context_tokens must be >= 512, chunk_tokens >= 1, threads and kv_cache_mb >= 0")
        path = Path(model_path)
        if not path.is_file():
            raise FileNotFoundError(f"No GGUF model at {path}")
        self.name = name or path.stem
        self.chunk_tokens = chunk_tokens
        per_slot = threads or max(1, (os.cpu_count() or 1) // slots)
        started = time.perf_counter()
        self._llms = [Llama(str(path), n_ctx=context_tokens, n_batch=512, n_threads=per_slot,
                            n_threads_batch=per_slot, verbose=False) for _ in range(slots)]
        meta = self._llms[0].metadata
        first = self._llms[0]
        template = meta.get("tokenizer.chat_template")
        if not template:
            raise ValueError(f"{path.name} has no chat template in its metadata")
        eos = first.detokenize([first.token_eos()], special=True).decode("utf-8", "replace")
        self._format = Jinja2ChatFormatter(template, eos_token=eos, bos_token="")
        self._head_format = Jinja2ChatFormatter(template, eos_token=eos, bos_token="", add_generation_prompt=False)
        specials = [self._tokens(s) for s in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>")]
        self._eog = {first.token_eos()} | {ids[0] for ids in specials if len(ids) == 1}
        self._prefix_ids = functools.lru_cache(maxsize=PREFIXES_TOKENISED)(lambda text: tuple(self._tokens(text)))
        self._kept = KeptPrefixes(kv_cache_mb * 2**20)
        self._chunks: list[list[int]] = [[0] for _ in range(slots)]  # chunk ends of what each slot holds
        self._kv_per_token = self._kv_bytes(meta)
        self.context_tokens = context_tokens
        log.info("Loaded %s with llama.cpp (%d slot%s x %d threads) in %.1f s", self.name, slots,
                 "s" if slots > 1 else "", per_slot, time.perf_counter() - started)

    # ---- text and tokens --------------------------------------------------------------------------
    def _tokens(self, text: str) -> list[int]:
        return self._llms[0].tokenize(text.encode("utf-8"), add_bos=False, special=True) if text else []

    def count_tokens(self, text: str) -> int:
        return len(self._llms[0].tokenize(text.encode("utf-8"), add_bos=False, special=False)) if text else 0

    def prompt(self, messages: Sequence[Message]) -> str:
        """The chat template applied to ``messages``, ending where the reply starts."""
        return self._format(messages=list(messages)).prompt

    def _split(self, messages: Sequence[Message], cache_upto: str | None) -> tuple[str, str, str]:
        """The prompt cut in two: the prefix worth keeping, and the rest; and the leading messages
        (system prompt) it starts with. The prefix ends after ``cache_upto`` (e.g. an article read
        ahead), else after the leading messages."""
        text = self.prompt(messages)
        lead = self._head_format(messages=list(messages[:-1])).prompt if len(messages) >= 2 else ""
        lead = lead if text.startswith(lead) else ""
        cut = len(lead)
        if cache_upto:
            at = text.find(cache_upto)
            if at < 0:
                raise ValueError("cache_upto is not part of the prompt")
            cut = at + len(cache_upto)
        return text[:cut], text[cut:], lead if len(lead) <= cut else ""

    def _prompt_ids(self, messages: Sequence[Message], cache_upto: str | None
                    ) -> tuple[list[int], list[int], list[int]]:
        """Token ids of the whole prompt and of its prefix worth keeping (tokenised apart, so the
        prefix's ids are the same whatever follows it); and where its chunk grid starts again (the ends of
        the leading messages and of that prefix: the same prompt parts are read in the same chunks
        whichever prefix is kept). Prefixes' ids are remembered: an article read ahead takes milliseconds
        to tokenise, and has_prefix, then the reply it decided on, need the same."""
        head, tail, lead = self._split(messages, cache_upto)
        head_ids = list(self._prefix_ids(head))
        lead_ids = self._prefix_ids(lead)
        cuts = [len(head_ids)]
        if 0 < len(lead_ids) < len(head_ids) and tuple(head_ids[:len(lead_ids)]) == lead_ids:
            cuts.insert(0, len(lead_ids))
        return head_ids + self._tokens(tail), head_ids, cuts

    @staticmethod
    def _kv_bytes(meta: dict) -> int:
        arch = meta.get("general.architecture", "")
        try:
            layers = int(meta[f"{arch}.block_count"])
            heads = int(meta[f"{arch}.attention.head_count"])
            kv_heads = int(meta.get(f"{arch}.attention.head_count_kv", heads))
            head_dim = int(meta[f"{arch}.embedding_length"]) // heads
        except (KeyError, ValueError):
            return 0
        return layers * 2 * kv_heads * head_dim * 2  # keys and values in f16

    @property
    def kv_bytes_per_token(self) -> int:
        return self._kv_per_token

    # ---- reading prompts --------------------------------------------------------------------------
    def _plan(self, cuts: Sequence[int], upto: int) -> list[int]:
        """Where the chunks reading a prompt's first ``upto`` tokens end: every ``chunk_tokens`` from the
        start, and again from each of ``cuts`` (see _prompt_ids)."""
        step = self.chunk_tokens
        ends, start = {0, upto}, 0
        for cut in sorted(c for c in cuts if 0 < c < upto):
            ends.update(range(start, cut, step))
            ends.add(cut)
            start = cut
        ends.update(range(start, upto, step))
        return sorted(ends)

    def _read(self, slot: int, tokens: list[int], upto: int, request: Request, cuts: Sequence[int]) -> bool:
        """Make the slot's context hold ``tokens[:upto]``: reuse what it holds already or a kept
        prefix as far as they were read in the chunks of this prompt's plan, read the rest in those
        chunks. False when the request was stopped on the way."""
        llm = self._llms[slot]
        plan = self._plan(cuts, upto)
        held = _same_chunks(self._chunks[slot], plan, _common_prefix(llm._input_ids.tolist(), tokens[:upto]))
        kept = self._kept.longest(tokens[:upto])
        if kept is not None and _same_chunks(kept[2], plan, len(kept[0])) > held:
            self._restore(slot, *kept)
            held = _same_chunks(self._chunks[slot], plan, len(kept[0]))
        llm._ctx.kv_cache_seq_rm(0, held, -1)
        llm.n_tokens = held
        self._chunks[slot] = [p for p in plan if p <= held]
        for start, end in zip(plan, plan[1:]):
            if end <= held:
                continue
            if request.should_stop():
                return False
            llm.eval(tokens[start:end])
            self._chunks[slot].append(end)
        return True

    def _restore(self, slot: int, tokens: tuple[int, ...], state: bytes, chunks: Sequence[int]) -> None:
        import llama_cpp

        llm = self._llms[slot]
        llm._ctx.kv_cache_seq_rm(0, 0, -1)
        buf = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
        if llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, buf, len(state), 0) != len(state):
            log.warning("Could not restore a kept prefix; reading it again")
            llm.n_tokens = 0
            self._chunks[slot] = [0]
            return
        llm.input_ids[:len(tokens)] = tokens
        llm.n_tokens = len(tokens)
        llm._requires_eval = True
        self._chunks[slot] = list(chunks)

    def _keep(self, slot: int, tokens: list[int]) -> None:
        """Save the slot's state of ``tokens`` (which it holds) as a kept prefix."""
        import llama_cpp

        if not tokens or tokens in self._kept:
            return
        llm = self._llms[slot]
        llm._ctx.kv_cache_seq_rm(0, len(tokens), -1)
        llm.n_tokens = len(tokens)
        self._chunks[slot] = [p for p in self._chunks[slot] if p <= len(tokens)]
        size = llama_cpp.llama_state_seq_get_size(llm._ctx.ctx, 0)
        buf = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(llm._ctx.ctx, buf, size, 0)
        self._kept.put(tokens, ctypes.string_at(buf, written), self._chunks[slot])

    def has_prefix(self, messages: Sequence[Message], cache_upto: str | None = None) -> bool:
        head_ids = self._prompt_ids(messages, cache_upto)[1]
        return bool(head_ids) and head_ids in self._kept

    def warm(self, messages: Sequence[Message], cache_upto: str) -> bool:
        from .base import Preempted

        _, head_ids, cuts = self._prompt_ids(messages, cache_upto)
        if not head_ids or head_ids in self._kept:
            return True
        request = Request(messages, 1, background=True, cache_upto=cache_upto)
        try:
            slot = self._acquire(request)
        except Preempted:
            return False
        try:
            if not self._read(slot, head_ids, len(head_ids), request, cuts):
                held = self._llms[slot].n_tokens  # read so far: kept, so the next attempt goes on from there
                if held >= self.chunk_tokens and list(self._llms[slot]._input_ids[:held]) == head_ids[:held]:
                    self._keep(slot, head_ids[:held])
                return False
            self._keep(slot, head_ids)
            return True
        finally:
            self._release(slot)

    # ---- writing ----------------------------------------------------------------------------------
    def _generate(self, slot: int, request: Request) -> Iterator[str]:
        tokens, head_ids, cuts = self._prompt_ids(request.messages, request.cache_upto)
        room = self.context_tokens - len(tokens)
        if room < 1:
            raise ValueError(f"The prompt has {len(tokens)} tokens; this engine reads at most "
                             f"{self.context_tokens - 1}")
        if head_ids and not self._read(slot, tokens, len(head_ids), request, cuts):
            return
        if head_ids and (request.cache_upto or len(head_ids) < 512):
            self._keep(slot, head_ids)
        if not self._read(slot, tokens, len(tokens) - 1, request, cuts):
            return
        llm = self._llms[slot]
        decode = codecs.getincrementaldecoder("utf-8")(errors="replace").decode
        stop = StopText(request.stop)
        written = 0
        try:
            for token in llm.generate(tokens, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0):
                if token in self._eog:
                    break
                piece = stop.feed(decode(llm.detokenize([token])))
                if piece:
                    yield piece
                written += 1
                if stop.hit or written >= min(request.max_tokens, room) or request.should_stop():
                    break
        finally:  # the last prompt token and each token written were read one at a time
            self._chunks[slot] += list(range(len(tokens), llm.n_tokens + 1))
        rest = stop.flush()
        if rest:
            yield rest

    def close(self) -> None:
        for llm in self._llms:
            llm.close()
        self._llms = []
        self._kept.clear()
        self._prefix_ids.cache_clear()


class StopText:
    """Holds back text that may be the start of a stop string; ends the reply at one."""

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = [s for s in stops if s]
        self.pending = ""
        self.hit = False

    def feed(self, text: str) -> str:
        if not self.stops:
            return text
        self.pending += text
        for s in self.stops:
            at = self.pending.find(s)
            if at >= 0:
                self.hit = True
                out, self.pending = self.pending[:at], ""
                return out
        cut = max(0, len(self.pending) - max(len(s) - 1 for s in self.stops))
        out, self.pending = self.pending[:cut], self.pending[cut:]
        return out

    def flush(self) -> str:
        out, self.pending = ("" if self.hit else self.pending), ""
        return out


def _same_chunks(held: Sequence[int], plan: Sequence[int], limit: int) -> int:
    """How many leading tokens were read in the same chunks by both lists of chunk ends (at most ``limit``)."""
    shared = 0
    for a, b in zip(held, plan):
        if a != b or a > limit:
            break
        shared = a
    return shared


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
