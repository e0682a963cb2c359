"""Hugging Face export: a LlamaForCausalLM loaded from the exported directory computes the
project's logits (to 1e-4) and its tokenizer reproduces the project's token ids."""

from __future__ import annotations

import dataclasses
import json

import jax
import numpy as np
import pytest

import torch  # noqa: E402  (the hf extra, part of the dev extra)
import transformers  # noqa: E402

from _train_helpers import tiny_config
from codescale_jax import config as config_lib
from codescale_jax.data.tokenizer import ByteTokenizer
from codescale_jax.export import hf, hf_tokenizer
from codescale_jax.model import decoder
from codescale_jax.train.loop import resolve_config, train
from experiments import export_hf

SNIPPET = "def add(a, b):\n\treturn a + b  # sum\n\nprint('héllo ✓', add(1, 2))\n"


def _tokens(tok: ByteTokenizer, text: str = SNIPPET) -> np.ndarray:
    return np.asarray([[tok.lang_id("python")] + tok.encode(text)], dtype=np.int32)


def _hf_logits(out_dir, tokens: np.ndarray) -> np.ndarray:
    model = transformers.LlamaForCausalLM.from_pretrained(str(out_dir), torch_dtype=torch.float32,
                                                          attn_implementation="eager")
    model.eval()
    with torch.no_grad():
        return model(torch.as_tensor(tokens, dtype=torch.long)).logits.numpy()


def _assert_parity(cfg, params, out_dir, tokens):
    ours = np.asarray(decoder.apply(cfg.model, params, tokens))[..., :cfg.model.vocab_size]
    theirs = _hf_logits(out_dir, tokens)
    assert theirs.shape == ours.shape
    assert np.max(np.abs(ours)) > 0.05  # not a trivially-zero comparison
    np.testing.assert_allclose(theirs, ours, atol=1e-4, rtol=0)
    # The argmax predictions agree too (what generation would see).
    assert (theirs.argmax(-1) == ours.argmax(-1)).mean() > 0.99


def test_trained_gqa_run_exports_with_matching_logits(tmp_path):
    cfg = tiny_config("train.checkpoint_every=0", steps=4)  # 4 query heads over 2 kv heads, untied
    train(cfg, tmp_path / "run", print_fn=lambda _: None)
    out = tmp_path / "hf"
    assert export_hf.main(["--run", str(tmp_path / "run"), "--out", str(out)]) == 0
    conf = json.loads((out / "config.json").read_text())
    assert conf["num_key_value_heads"] == 2 and conf["num_attention_heads"] == 4
    assert conf["vocab_size"] == ByteTokenizer().vocab_size and conf["tie_word_embeddings"] is False

    from codescale_jax.eval.checkpoint_io import load_run

    run = load_run(tmp_path / "run")
    _assert_parity(run.cfg, run.params, out, _tokens(ByteTokenizer()))
    meta = json.loads((out / "codescale_export.json").read_text())
    assert meta["source"] == {"run_id": "run", "step": 4}


@pytest.mark.parametrize("scan", [False, True])
def test_tied_multi_head_model_with_wide_init_matches(tmp_path, scan):
    """Tied embeddings, 8 heads of 8 dims, a scanned layer stack (or not), and random norm scales:
    every parameter kind, with values far from their init so a mis-permuted weight shows."""
    tok = ByteTokenizer()
    model = dataclasses.replace(tiny_config(steps=1).model, d_model=64, n_heads=8, n_kv_heads=8, n_layers=3,
                                tie_embeddings=True, init_std=0.15, scan_layers=scan, rope_theta=500.0,
                                vocab_size=tok.vocab_size)
    cfg = dataclasses.replace(tiny_config(steps=1), model=model)
    params = decoder.init_params(model, jax.random.key(3))
    keys = iter(jax.random.split(jax.random.key(4), 64))
    params = jax.tree_util.tree_map_with_path(
        lambda path, x: x + 0.3 * jax.random.normal(next(keys), x.shape) if "scale" in str(path[-1]) else x, params)
    out = tmp_path / "hf"
    hf.export(cfg, params, out, tokenizer=tok)
    assert "lm_head.weight" not in __import__("safetensors.numpy", fromlist=["load_file"]).load_file(
        str(out / hf.WEIGHTS_FILE))
    _assert_parity(cfg, params, out, _tokens(tok))


def test_exported_tokenizer_reproduces_byte_ids(tmp_path):
    tok = ByteTokenizer()
    hf_tokenizer.write_tokenizer(tok, tmp_path, model_max_length=64)
    auto = transformers.AutoTokenizer.from_pretrained(str(tmp_path))
    text = SNIPPET + "literal <sep> and <eos> stay text \x00\x7f ▁ 日本"
    ids = auto(text, add_special_tokens=True)["input_ids"]
    assert ids == tok.encode(text)
    assert auto.decode(ids) == text
    assert auto.eos_token_id == tok.eos_id and auto.pad_token_id == tok.pad_id
    assert auto.convert_tokens_to_ids("<lang:python>") == tok.lang_id("python")
    symbols = hf_tokenizer.byte_symbols()
    assert len(set(symbols)) == 256 and all(s.isprintable() and not s.isspace() for s in symbols)


def test_export_refuses_a_directory_that_is_not_a_run(tmp_path, capsys):
    assert export_hf.main(["--run", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "config.json" in capsys.readouterr().err


def test_mismatched_parameters_are_a_clear_error():
    cfg = resolve_config(tiny_config(steps=1))
    params = decoder.init_params(cfg.model, jax.random.key(0))
    bigger = config_lib.replace(cfg, "model", n_layers=3).model
    with pytest.raises(hf.ExportError, match="lack layers"):
        hf.llama_state_dict(bigger, params)


def test_exported_sentencepiece_tokenizer_matches(tmp_path):
    from codescale_jax.data.embedded import stdlib_python_documents
    from codescale_jax.data.tokenizer_sp import train_sentencepiece

    docs = stdlib_python_documents("train")
    tok = train_sentencepiece({"python": [docs[i] for i in range(50)]}, vocab_size=600, bytes_per_language=100_000)
    hf_tokenizer.write_tokenizer(tok, tmp_path, model_max_length=64)
    assert (tmp_path / "tokenizer.model").read_bytes() == tok.serialized_model()
    auto = transformers.AutoTokenizer.from_pretrained(str(tmp_path))
    for text in ["def add(a, b):\n    return a + b  # sum\n", "  indented = {'k': [1, 2]}\n\tx = 'héllo'\n"]:
        ids = auto(text, add_special_tokens=True)["input_ids"]
        assert ids == tok.encode(text), text
        assert auto.decode(ids) == text
    assert auto.eos_token_id == tok.eos_id and auto.pad_token_id == tok.pad_id
