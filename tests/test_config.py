import argparse
from pathlib import Path

import pytest

from qa_bot.config import Config, add_config_flags, config_from_args


def test_env_then_overrides():
    env = {"QA_BOT_TOP_K": "7", "QA_BOT_INDEX_DIR": "/tmp/x", "QA_BOT_ENGINE": "llamacpp", "QA_BOT_MIN_RELEVANCE": "0.5"}
    c = Config.from_env(env)
    assert c.top_k == 7 and c.index_dir == Path("/tmp/x") and c.engine == "llama.cpp" and c.min_relevance == 0.5
    assert Config.from_env(env, top_k=2).top_k == 2


def test_flags_beat_env(monkeypatch):
    monkeypatch.setenv("QA_BOT_TOP_K", "9")
    parser = argparse.ArgumentParser()
    add_config_flags(parser)
    args = parser.parse_args(["--index", "/tmp/i", "--model", "qwen2.5-coder-0.5b", "--engine", "transformers"])
    c = config_from_args(args)
    assert c.index_dir == Path("/tmp/i") and c.generator == "qwen2.5-coder-0.5b" and c.engine == "transformers"
    assert c.top_k == 9
    assert c.answer_model == "qwen2.5-coder-0.5b"


def test_validation():
    with pytest.raises(ValueError):
        Config(hybrid_weight=2)
    with pytest.raises(ValueError, match="engine"):
        Config(engine="vllm")
    with pytest.raises(ValueError, match="llm-url"):
        Config(engine="openai")
    with pytest.raises(TypeError):
        Config.from_env({}, no_such_setting=1)
