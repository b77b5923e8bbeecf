"""Model preparation: parts found without importing their packages, checksum verified, interrupted
runs never leave a usable-looking file."""
import hashlib
import importlib
import sys

import pytest

from qa_bot import model_store
from qa_bot.model_store import ModelUnavailable, PackagedGGUF, is_prepared, prepare_generator


def install_fake_part(site, n: int, data: bytes) -> None:
    """A distribution ``fake-model-part{n}`` as pip installs one: a package whose import would fail
    loudly, a data file, and a dist-info whose RECORD lists them."""
    pkg = site / f"fake_model_part{n}"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("raise RuntimeError('imported before the checksum was verified')\n")
    (pkg / "data" / f"part{n:02d}.bin").write_bytes(data)
    info = site / f"fake_model_part{n}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: fake-model-part{n}\nVersion: 0.1\n")
    (info / "RECORD").write_text(f"fake_model_part{n}/__init__.py,,\nfake_model_part{n}/data/part{n:02d}.bin,,\n"
                                 f"fake_model_part{n}-0.1.dist-info/RECORD,,\n")


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    """Two installed 'PyPI part packages' whose parts concatenate to a known file."""
    site = tmp_path / "site"
    data = [b"GGUF-part-one|", b"part-two"]
    for n, chunk in enumerate(data, 1):
        install_fake_part(site, n, chunk)
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    yield hashlib.sha256(b"".join(data)).hexdigest()
    assert not any(m.startswith("fake_model_part") for m in sys.modules)  # never imported


def spec(sha):
    return PackagedGGUF("fake", "fake-model-part", 2, sha, "none/none")


def test_parts_are_assembled_and_verified_without_importing(tmp_path, fake_parts):
    target = prepare_generator(spec(fake_parts), tmp_path / "cache")
    assert target.read_bytes() == b"GGUF-part-one|part-two"
    assert is_prepared(spec(fake_parts), tmp_path / "cache")
    assert prepare_generator(spec(fake_parts), tmp_path / "cache") == target  # idempotent


def test_checksum_mismatch_is_refused(tmp_path, fake_parts):
    with pytest.raises(ModelUnavailable, match="checksum"):
        prepare_generator(spec("0" * 64), tmp_path / "cache")
    assert not is_prepared(spec("0" * 64), tmp_path / "cache")
    assert list((tmp_path / "cache" / "models").iterdir()) == []


def test_interrupted_preparation_is_redone(tmp_path, fake_parts, monkeypatch):
    cache = tmp_path / "cache"
    real = model_store.assemble_gguf

    def interrupted(spec, folder):
        (folder / "fake.gguf").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(model_store, "assemble_gguf", interrupted)
    with pytest.raises(KeyboardInterrupt):
        prepare_generator(spec(fake_parts), cache)
    assert not is_prepared(spec(fake_parts), cache)
    assert list((cache / "models").iterdir()) == []
    monkeypatch.setattr(model_store, "assemble_gguf", real)
    assert prepare_generator(spec(fake_parts), cache).read_bytes() == b"GGUF-part-one|part-two"


def test_missing_part_package_says_how_to_install(tmp_path):
    with pytest.raises(ModelUnavailable, match="pip install"):
        prepare_generator(PackagedGGUF("nope", "no-such-pkg-part", 1, "0" * 64, "x"), tmp_path)
