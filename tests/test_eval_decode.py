"""KV-cache decoding against the full-sequence model, stop sequences, and seeded sampling."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from codescale_jax.config import ModelConfig
from codescale_jax.data.tokenizer import ByteTokenizer
from codescale_jax.eval import decode
from codescale_jax.model import decoder

CFG = ModelConfig(name="decode-test", d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, d_ff=64, vocab_size=300,
                  vocab_multiple=128, init_std=0.2)


def _params(cfg, seed=0):
    return decoder.init_params(cfg, jax.random.key(seed))


@pytest.mark.parametrize("cfg", [CFG, dataclasses.replace(CFG, scan_layers=True, tie_embeddings=True)],
                         ids=["unrolled", "scanned-tied"])
def test_greedy_cache_matches_full_forward(cfg):
    """Each greedy token is the argmax of the full forward over prompt + generated so far, and the
    cached logits equal the full-sequence logits, for rows with different prompt lengths."""
    params = _params(cfg)
    sp = decode.stack_layers(cfg, params)
    rng = np.random.default_rng(0)
    prompts = [list(rng.integers(3, 300, size=n)) for n in (5, 11, 1)]
    sampling = decode.SamplingConfig(max_new_tokens=12, chunk=5)
    out = decode.generate_ids(cfg, sp, prompts, sampling, eos_id=None)
    for prompt, gen in zip(prompts, out):
        assert len(gen) == 12
        seq = jnp.asarray([prompt + gen], jnp.int32)
        logits = decoder.apply(cfg, params, seq)[0]
        expected = np.asarray(jnp.argmax(logits[len(prompt) - 1:-1], axis=-1))
        np.testing.assert_array_equal(np.asarray(gen), expected)

    # Logit-level agreement: prefill + one chunk reproduce the full forward's last-position logits.
    prompt = prompts[1]
    full = decoder.apply(cfg, params, jnp.asarray([prompt + out[1]], jnp.int32))[0]
    cache, last = decode.prefill(cfg, sp, jnp.asarray([prompt + [0] * 5], jnp.int32), jnp.asarray([len(prompt)]), 32)
    np.testing.assert_allclose(np.asarray(last[0]), np.asarray(full[len(prompt) - 1]), rtol=1e-4, atol=1e-4)
    _, logits, pos, toks = decode.decode_chunk(cfg, sp, cache, last, jnp.asarray([len(prompt)]),
                                               jax.random.split(jax.random.key(0), 1), jnp.int32(0), 4,
                                               1.0, 1.0, True)
    assert list(np.asarray(toks[0])) == out[1][:4]
    assert int(pos[0]) == len(prompt) + 4
    np.testing.assert_allclose(np.asarray(logits[0]), np.asarray(full[len(prompt) + 3]), rtol=1e-4, atol=1e-4)


def test_eos_ends_a_row_and_padding_vocab_is_never_chosen():
    params = _params(CFG)
    sp = decode.stack_layers(CFG, params)
    prompt = [5, 6, 7]
    free = decode.generate_ids(CFG, sp, [prompt], decode.SamplingConfig(max_new_tokens=8), eos_id=None)[0]
    assert all(t < CFG.vocab_size for t in free)
    eos = free[3]
    cut = decode.generate_ids(CFG, sp, [prompt], decode.SamplingConfig(max_new_tokens=8), eos_id=eos)[0]
    assert cut == free[:free.index(eos)]


def test_sampling_reproducible_per_seed_and_independent_of_batch_mates():
    params = _params(CFG)
    sp = decode.stack_layers(CFG, params)
    prompts = [[5, 6, 7], [9, 10]]
    s0 = decode.SamplingConfig(temperature=1.0, top_p=0.9, max_new_tokens=16, seed=0)
    a = decode.generate_ids(CFG, sp, prompts, s0, eos_id=None)
    b = decode.generate_ids(CFG, sp, prompts, s0, eos_id=None)
    assert a == b
    c = decode.generate_ids(CFG, sp, prompts, dataclasses.replace(s0, seed=1), eos_id=None)
    assert c != a
    # Row 1 alone, with the same row id, draws the same sample as inside the batch.
    alone = decode.generate_ids(CFG, sp, prompts[1:], s0, eos_id=None, row_ids=[1])
    assert alone[0] == a[1]
    # Sampling differs from greedy on a near-uniform model (init_std keeps logits spread out).
    greedy = decode.generate_ids(CFG, sp, prompts, decode.SamplingConfig(max_new_tokens=16), eos_id=None)
    assert greedy != a


def test_top_p_keeps_the_nucleus_only():
    logits = jnp.broadcast_to(jnp.log(jnp.asarray([0.5, 0.3, 0.15, 0.05])), (200, 4))
    keys = jax.random.split(jax.random.key(0), 200)
    draws = set(np.asarray(decode.sample_logits(logits, keys, 1.0, 0.7, False)).tolist())
    assert draws == {0, 1}  # 0.5 + 0.3 reaches 0.7; 2 and 3 are outside
    tiny = set(np.asarray(decode.sample_logits(logits, keys, 1.0, 1e-6, False)).tolist())
    assert tiny == {0}  # the top token is always kept
    full = set(np.asarray(decode.sample_logits(logits, keys, 1.0, 1.0, False)).tolist())
    assert {2, 3} & full


def test_stops_cut_before_or_after():
    py = decode.DEFAULT_STOPS["python"]
    assert py.cut("    return x\n\ndef g():\n    pass\n") == ("    return x\n", True)
    assert py.cut("    return x\n") == ("    return x\n", False)
    go = decode.DEFAULT_STOPS["go"]
    assert go.cut("\tif x {\n\t\treturn 1\n\t}\n\treturn 2\n}\n\nfunc h() {}\n") == (
        "\tif x {\n\t\treturn 1\n\t}\n\treturn 2\n}\n", True)
    assert go.cut("}\nrest") == ("}\n", True)  # an empty body: the completion follows the prompt's newline
    java = decode.DEFAULT_STOPS["java"]
    assert java.cut("        return 1;\n    }\n\n    static int g() {}\n")[0] == "        return 1;\n    }\n"
    # The earliest stop wins, whichever kind.
    both = decode.Stops(before=("\nX",), after=("\nY\n",))
    assert both.cut("a\nY\nb\nX") == ("a\nY\n", True)
    assert both.cut("a\nXb\nY\n") == ("a", True)
    assert decode.stops_for("py", before=["\n#"]).before == ("\n#",)


def test_complete_applies_stops_on_text():
    tok = ByteTokenizer()
    cfg = dataclasses.replace(CFG, vocab_size=tok.vocab_size)
    params = _params(cfg)
    sp = decode.stack_layers(cfg, params)
    prompt = [tok.lang_id("python")] + tok.encode("def f():\n")
    sampling = decode.SamplingConfig(max_new_tokens=24, chunk=8)
    raw = decode.generate_ids(cfg, sp, [prompt], sampling, eos_id=tok.eos_id)[0]
    text = tok.decode(raw)
    stop_at = text[3:6] if len(text) > 6 else None
    if not stop_at:
        pytest.fail(f"the random model produced too little text to test stops: {text!r}")
    rule = decode.Stops(before=(stop_at,))
    [(done, stopped)] = decode.complete(cfg, sp, tok, [prompt], [rule], sampling)
    assert stopped
    assert done == rule.cut(text)[0]
    assert stop_at not in ("\n" + done)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="temperature"):
        decode.SamplingConfig(temperature=-1)
    with pytest.raises(ValueError, match="top_p"):
        decode.SamplingConfig(top_p=0)
    with pytest.raises(ValueError, match="at least one token"):
        decode.generate_ids(CFG, decode.stack_layers(CFG, _params(CFG)), [[]], decode.SamplingConfig(), eos_id=None)
