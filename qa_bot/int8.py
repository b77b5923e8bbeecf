"""int8 dynamic quantisation of a causal LM's linear layers, and a copy of the result on disk.

Quantising takes the float32 model (6 GB for the 1.5B) and about 30 s. The saved copy is a plain
safetensors file (int8 weights with their per-channel scales, the other tensors as they are); loading
reads it one tensor at a time, so the process holds only the packed int8 weights (1.5 GB for the 1.5B)
and the pages of the float32 embedding table that lookups touch, never the float32 model.
"""
from __future__ import annotations

import json
import logging
import os
import struct
import time
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

FORMAT = "qa_bot-int8-per-channel-1"
_DTYPES = {"F32": "float32", "F64": "float64", "I8": "int8", "I64": "int64", "BF16": "bfloat16", "F16": "float16"}


def quantize(model):
    """Linear layers to int8 weights with per-output-channel scales, activations quantised per call.

    Per-channel, not per-tensor: per-tensor scales garbled names and numbers in our measurements. The
    input embedding table stays float32: int8 rows (per-row scales) cut NYT reading F1 from 61.7 to 54.0.
    """
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():  # torch's deprecation notes on torch.ao and quantised tensors
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8,
                                inplace=True)


def copy_path(source: str, cache_dir: Path) -> Path:
    """Where the int8 copy of the model ``source`` (a prepared folder or a Hugging Face id) lives:
    beside a local model's weights, else under ``cache_dir``."""
    name = "int8-per-channel.safetensors"
    if Path(source).is_dir():
        return Path(source) / name
    return Path(cache_dir) / "models" / "int8" / source.replace("/", "--") / name


def _linears(model):
    from torch.ao.nn.quantized.dynamic import Linear as QLinear

    return {name: module for name, module in model.named_modules() if isinstance(module, QLinear)}


def save(model, path: Path) -> Path:
    """Write the quantised model's tensors to ``path`` (safetensors), atomically."""
    from safetensors.torch import save_file

    tensors = {}
    linears = _linears(model)
    for name, layer in linears.items():
        weight, bias = layer._weight_bias()
        tensors[f"{name}.qweight"] = weight.int_repr().contiguous()
        tensors[f"{name}.scales"] = weight.q_per_channel_scales().contiguous()
        tensors[f"{name}.zero_points"] = weight.q_per_channel_zero_points().contiguous()
        if bias is not None:
            tensors[f"{name}.bias"] = bias.detach().contiguous()
    for key, value in model.state_dict().items():
        if not key.startswith(tuple(f"{name}." for name in linears)) and key not in tensors:
            tensors[key] = value.detach().contiguous()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    try:
        save_file(tensors, str(tmp), metadata={"format": FORMAT})
        os.replace(tmp, path)
        for stale in path.parent.glob("int8-*"):  # copies in older formats
            if stale != path and stale.is_file():
                stale.unlink(missing_ok=True)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("Saved an int8 copy of the generator to %s (%.2f GB)", path, path.stat().st_size / 1e9)
    return path


class _Reader:
    """Tensors of a safetensors file, each read into its own memory (no mapping of the whole file
    that would keep every page it touched resident), or mapped one by one when asked."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = open(path, "rb")
        (size,) = struct.unpack("<Q", self.file.read(8))
        if size > 100 * 2**20:
            raise ValueError("not a safetensors file")
        header = json.loads(self.file.read(size))
        self.metadata = header.pop("__metadata__", {}) or {}
        self.entries = header
        self.base = 8 + size

    def read(self, key: str):
        import torch

        entry = self.entries[key]
        start, end = entry["data_offsets"]
        tensor = torch.empty(entry["shape"], dtype=getattr(torch, _DTYPES[entry["dtype"]]))
        self.file.seek(self.base + start)
        if self.file.readinto(memoryview(tensor.view(-1).view(torch.uint8).numpy())) != end - start:
            raise ValueError(f"{self.path.name} is truncated")
        return tensor

    def mapped(self, key: str):
        """``key`` mapped read-only from the file: only the pages used are ever loaded."""
        import numpy as np
        import torch

        entry = self.entries[key]
        array = np.memmap(self.path, dtype=_DTYPES[entry["dtype"]], mode="c", offset=self.base + entry["data_offsets"][0],
                          shape=tuple(entry["shape"]))
        return torch.from_numpy(array)

    def close(self) -> None:
        self.file.close()


def load(source: str, path: Path):
    """The int8 model ``source`` from its saved copy ``path``, or None when there is none (or it does not fit this model).

    The model's skeleton is built on the ``meta`` device (no memory), its linear layers swapped for
    quantised ones packed from the saved int8 weights, the input embedding table mapped from the file.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, GenerationConfig

    if not path.exists():
        return None
    started = time.perf_counter()
    config = AutoConfig.from_pretrained(source)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    try:
        reader = _Reader(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        log.warning("Ignoring the int8 copy %s (%s); quantising again", path, exc)
        return None
    try:
        if reader.metadata.get("format") != FORMAT:
            raise ValueError(f"format {reader.metadata.get('format')!r}, not {FORMAT}")
        with warnings.catch_warnings():  # deprecation notes on quantised tensors
            warnings.simplefilter("ignore", UserWarning)
            _fill(model, reader)
    except (KeyError, RuntimeError, OSError, ValueError) as exc:
        log.warning("Ignoring the int8 copy %s (%s); quantising again", path, exc)
        return None
    finally:
        reader.close()
    # buffers not saved with the weights (rotary frequencies) are still on meta: rebuild their modules
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if any(b.is_meta for b in child.buffers(recurse=False)):
                setattr(parent, name, type(child)(config=config))
    if any(t.is_meta for t in (*model.parameters(), *model.buffers())):
        log.warning("The int8 copy %s left tensors unset; quantising again", path)
        return None
    try:  # stop tokens and the like, as from_pretrained would read them
        model.generation_config = GenerationConfig.from_pretrained(source)
    except OSError:
        pass
    log.info("Loaded the int8 copy %s in %.1f s", path.name, time.perf_counter() - started)
    return model.eval()


def _fill(model, reader: _Reader) -> None:
    """Swap ``model``'s linear layers for int8 ones and set every tensor from ``reader``."""
    import torch
    from torch.ao.nn.quantized.dynamic import Linear as QLinear

    done: set[str] = set()
    for parent_name, parent in list(model.named_modules()):
        for name, child in list(parent.named_children()):
            if not isinstance(child, torch.nn.Linear):
                continue
            key = f"{parent_name}.{name}" if parent_name else name
            qweight = torch._make_per_channel_quantized_tensor(
                reader.read(f"{key}.qweight"), reader.read(f"{key}.scales"), reader.read(f"{key}.zero_points"), 0)
            if tuple(qweight.shape) != tuple(child.weight.shape):
                raise ValueError(f"{key}: shape {tuple(qweight.shape)} in the copy, {tuple(child.weight.shape)} in the model")
            bias = reader.read(f"{key}.bias") if child.bias is not None else None
            layer = QLinear(1, 1, bias_=bias is not None, dtype=torch.qint8)  # 1x1: packing a zero weight costs
            layer.set_weight_bias(qweight, bias)
            layer.in_features, layer.out_features = child.in_features, child.out_features
            setattr(parent, name, layer)
            parts = ("qweight", "scales", "zero_points") + (("bias",) if bias is not None else ())
            done.update(f"{key}.{part}" for part in parts)
    embeddings = model.get_input_embeddings()
    tensors = [(key, "_parameters") for key, _ in model.named_parameters()] + \
              [(key, "_buffers") for key, _ in model.named_buffers()]
    for key, kind in tensors:
        module_name, _, attr = key.rpartition(".")
        module = model.get_submodule(module_name)
        tensor = getattr(module, attr)
        if tensor is None or (kind == "_buffers" and key not in reader.entries):
            continue  # buffers not saved with the weights (rotary frequencies): rebuilt by the caller
        value = reader.mapped(key) if module is embeddings else reader.read(key)  # the table: 0.9 GB, lookups touch a few rows
        if tuple(value.shape) != tuple(tensor.shape):
            raise ValueError(f"{key}: shape {tuple(value.shape)} in the copy, {tuple(tensor.shape)} in the model")
        getattr(module, kind)[attr] = torch.nn.Parameter(value, requires_grad=False) if kind == "_parameters" else value
        done.add(key)
    extra = set(reader.entries) - done
    if extra:
        raise ValueError(f"the copy has tensors this model lacks: {sorted(extra)[:3]}")
