"""The int8 copy of a generator: saved once, loaded without the float32 weights, same outputs."""
import torch
from transformers import AutoModelForCausalLM, Qwen2Config

from qa_bot import int8


def tiny_model(folder):
    """A small random Qwen2 saved like a prepared model (config, weights, generation config)."""
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                         tie_word_embeddings=True)
    model = AutoModelForCausalLM.from_config(config).eval()
    model.generation_config.eos_token_id = 7
    model.save_pretrained(folder)
    return model


def test_saved_copy_loads_into_the_same_quantised_model(tmp_path):
    model = int8.quantize(tiny_model(tmp_path))
    path = int8.copy_path(str(tmp_path), tmp_path / "cache")
    assert path.parent == tmp_path  # beside a local model's weights
    int8.save(model, path)
    loaded = int8.load(str(tmp_path), path)
    assert loaded is not None
    ids = torch.tensor([[1, 5, 9, 42, 100, 3]])
    with torch.inference_mode():
        assert torch.equal(model(input_ids=ids).logits, loaded(input_ids=ids).logits)
    assert loaded.generation_config.eos_token_id == 7
    assert not any(t.is_meta for t in loaded.buffers())


def test_embedding_table_is_mapped_from_the_copy_not_held_in_memory(tmp_path):
    model = int8.quantize(tiny_model(tmp_path))
    path = int8.save(model, int8.copy_path(str(tmp_path), tmp_path))
    loaded = int8.load(str(tmp_path), path)
    address = loaded.get_input_embeddings().weight.data_ptr()
    mapped = []
    for line in open("/proc/self/maps"):
        span, *_, name = line.split(maxsplit=5)
        low, high = (int(x, 16) for x in span.split("-"))
        if low <= address < high:
            mapped.append(name.strip())
    assert mapped == [str(path)]


def test_copy_of_another_format_or_model_is_ignored(tmp_path):
    model = int8.quantize(tiny_model(tmp_path))
    path = int8.save(model, int8.copy_path(str(tmp_path), tmp_path))
    bigger = Qwen2Config(vocab_size=256, hidden_size=64, intermediate_size=256, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)
    other = tmp_path / "other"
    AutoModelForCausalLM.from_config(bigger).save_pretrained(other)
    assert int8.load(str(other), path) is None  # shapes differ
    stale = tmp_path / "int8-per-channel-torch2.13.0.pt"
    stale.write_bytes(b"old format")
    int8.save(model, path)
    assert not stale.exists()


def test_missing_or_damaged_copy_is_ignored(tmp_path):
    tiny_model(tmp_path)
    path = int8.copy_path(str(tmp_path), tmp_path)
    assert int8.load(str(tmp_path), path) is None
    path.write_bytes(b"not a safetensors file")
    assert int8.load(str(tmp_path), path) is None


def test_hub_models_keep_their_copy_in_the_cache(tmp_path):
    path = int8.copy_path("Qwen/Qwen2.5-1.5B-Instruct", tmp_path)
    assert path.is_relative_to(tmp_path) and "Qwen--Qwen2.5-1.5B-Instruct" in str(path)

