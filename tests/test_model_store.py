"""Model preparation: checksum verified, interrupted runs never leave a usable-looking cache."""
import hashlib
import sys

import pytest

from qa_bot import model_store
from qa_bot.model_store import ModelUnavailable, PackagedGGUF, is_prepared, prepare_generator


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    """Two 'PyPI part packages' whose parts concatenate to a known file."""
    data = [b"GGUF-part-one|", b"part-two"]
    for i, chunk in enumerate(data, 1):
        (tmp_path / f"part{i}.bin").write_bytes(chunk)
        (tmp_path / f"fakemodel_part{i}.py").write_text(
            f"def get_part_path():\n    return {str(tmp_path / f'part{i}.bin')!r}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield hashlib.sha256(b"".join(data)).hexdigest()
    for i in (1, 2):
        sys.modules.pop(f"fakemodel_part{i}", None)


def spec(sha):
    return PackagedGGUF("fake", "fakemodel_part", 2, sha, "none/none")


def test_checksum_mismatch_is_refused(tmp_path, fake_parts):
    with pytest.raises(ModelUnavailable, match="checksum"):
        prepare_generator(spec("0" * 64), tmp_path / "cache")
    assert not is_prepared(spec("0" * 64), tmp_path / "cache")


def test_interrupted_preparation_is_redone(tmp_path, fake_parts, monkeypatch):
    cache = tmp_path / "cache"

    def interrupted(gguf, out):
        out.mkdir()
        (out / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(model_store, "convert_gguf", interrupted)
    with pytest.raises(KeyboardInterrupt):
        prepare_generator(spec(fake_parts), cache)
    assert not is_prepared(spec(fake_parts), cache)
    assert not (cache / "models" / "fake").exists()
    assert list((cache / "models").iterdir()) == []

    def converts(gguf, out):
        assert gguf.read_bytes() == b"GGUF-part-one|part-two"
        out.mkdir()
        (out / "model.safetensors").write_bytes(b"complete")

    monkeypatch.setattr(model_store, "convert_gguf", converts)
    target = prepare_generator(spec(fake_parts), cache)
    assert is_prepared(spec(fake_parts), cache)
    assert (target / "model.safetensors").read_bytes() == b"complete"


def test_missing_part_package_says_how_to_install(tmp_path):
    with pytest.raises(ModelUnavailable, match="pip install"):
        prepare_generator(PackagedGGUF("nope", "no_such_pkg_part", 1, "0" * 64, "x"), tmp_path)
