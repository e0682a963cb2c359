"""Translation evaluation: target-only loss masks, BLEU sanity, parallel sets, matrices."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest

from codescale_jax.config import ModelConfig
from codescale_jax.data.tokenizer import ByteTokenizer
from codescale_jax.eval import decode, loss, translation
from codescale_jax.eval.translation import Pair
from codescale_jax.model import decoder

TOK = ByteTokenizer()


def test_only_target_tokens_are_scored_whatever_the_source():
    tgt = "fn main() {\n    println!(\"hi\");\n}\n"
    pairs = [Pair("python", "rust", "print('hi')\n", tgt),
             Pair("python", "rust", "# a much longer source\n" * 20 + "print('hi')\n", tgt)]
    counts = []
    for p in pairs:
        batches, stats = translation.target_batches(TOK, [p], max_len=1024, batch_size=2)
        assert stats == {"pairs": 1, "dropped_too_long": 0, "target_tokens": len(TOK.encode(tgt)) + 1}
        b = batches[0]
        scored = b["targets"][b["loss_mask"] > 0]
        # The scored targets are exactly the target text and <eos>: no source, <sep> or tag token.
        assert list(scored) == TOK.encode(tgt) + [TOK.eos_id]
        counts.append(int(b["loss_mask"].sum()))
    assert counts[0] == counts[1]


def test_too_long_pairs_are_dropped_and_counted():
    short, long = Pair("go", "java", "x", "y"), Pair("go", "java", "x" * 100, "y")
    batches, stats = translation.target_batches(TOK, [short, long], max_len=32, batch_size=4)
    assert stats["pairs"] == 1 and stats["dropped_too_long"] == 1 and stats["target_tokens"] == 2
    none, stats = translation.target_batches(TOK, [long], max_len=32, batch_size=4)
    assert none == [] and stats["pairs"] == 0


def test_direction_loss_matches_a_hand_computed_target_loss():
    cfg = ModelConfig(d_model=32, n_layers=1, n_heads=2, n_kv_heads=2, d_ff=64, vocab_size=TOK.vocab_size)
    params = decoder.init_params(cfg, jax.random.key(0))
    pair = Pair("python", "go", "a = 1\n", "a := 1\n")
    got = translation.loss_by_direction(loss.make_scorer(cfg, params), TOK, {("python", "go"): [pair]},
                                        max_len=64, batch_size=2)[("python", "go")]
    ids = translation.translation_prompt(TOK, pair)
    full = ids + TOK.encode(pair.tgt) + [TOK.eos_id]
    logits = np.asarray(decoder.apply(cfg, params, np.asarray([full[:-1]], np.int32))[0], np.float64)
    logp = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True)) - logits.max(-1, keepdims=True)
    nll = [-logp[t, full[t + 1]] for t in range(len(ids) - 1, len(full) - 1)]
    assert got["target_tokens"] == len(nll)
    assert got["loss"] == pytest.approx(float(np.mean(nll)), rel=1e-4)


def test_bleu_sanity():
    code = ["def f(x):\n    return x + 1\n", "for i in range(10):\n    print(i * 2)\n"]
    assert translation.bleu(code, code) == pytest.approx(100.0)
    disjoint = ["alpha beta gamma delta epsilon", "zeta eta theta iota kappa"]
    assert translation.bleu(disjoint, code) < 1.0
    # Spacing and indentation do not matter on code tokens; one changed identifier does.
    assert translation.bleu(["def f( x ):\n  return x+1\n"], code[:1]) == pytest.approx(100.0)
    assert 0 < translation.bleu(["def g(x):\n    return x + 1\n"], code[:1]) < 100
    assert translation.code_tokens("a.b(c)+=1;") == "a . b ( c ) + = 1 ;"


def test_translation_prompt_ends_with_target_tag():
    p = Pair("java", "csharp", "class A {}", "class B {}")
    ids = translation.translation_prompt(TOK, p)
    assert ids[0] == TOK.lang_id("java") and ids[-2] == TOK.sep_id and ids[-1] == TOK.lang_id("csharp")
    assert TOK.decode(ids) == "class A {}"


def test_user_jsonl_and_errors(tmp_path):
    good = tmp_path / "pairs.jsonl"
    good.write_text(json.dumps({"src_lang": "py", "tgt_lang": "js", "src": "x = 1", "tgt": "let x = 1;"}) + "\n\n")
    assert translation.read_pairs_jsonl(good) == [Pair("python", "javascript", "x = 1", "let x = 1;")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"src_lang": "cobol", "tgt_lang": "js", "src": "", "tgt": ""}) + "\n")
    with pytest.raises(translation.ParallelSetError, match="bad.jsonl:1"):
        translation.read_pairs_jsonl(bad)
    same = tmp_path / "same.jsonl"
    same.write_text(json.dumps({"src_lang": "go", "tgt_lang": "golang", "src": "", "tgt": ""}) + "\n")
    with pytest.raises(translation.ParallelSetError, match="both go"):
        translation.read_pairs_jsonl(same)


def test_synthetic_test_pairs_are_parallel_in_all_directions():
    pairs = translation.synthetic_test_pairs(n_programs=60, seed=0, langs=["python", "go", "rust"], limit=1)
    assert len(pairs) == 6  # one program, 3 x 2 directions
    by = translation.by_direction(pairs)
    assert by[("python", "go")][0].tgt == by[("rust", "go")][0].tgt
    assert by[("python", "go")][0].src == by[("python", "rust")][0].src
    assert "def " in by[("python", "go")][0].src and "func " in by[("python", "go")][0].tgt


def test_matrix_table_and_plot(tmp_path):
    langs = ["python", "go"]
    vals = {("python", "go"): {"loss": 1.5}, ("go", "python"): {"loss": float("nan")}}
    m = translation.matrix(vals, "loss", langs)
    assert m == [[None, 1.5], [None, None]]
    table = translation.format_table(m, langs, seen=[("python", "go")])
    assert "1.500*" in table
    translation.plot_matrix(m, langs, tmp_path / "m.png", "loss", seen=[("python", "go")])
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"


def test_translate_greedy_stops_at_eos():
    cfg = ModelConfig(d_model=32, n_layers=1, n_heads=2, n_kv_heads=2, d_ff=64, vocab_size=TOK.vocab_size)
    params = decoder.init_params(cfg, jax.random.key(1))

    class Run:  # translate() needs only cfg.model
        model = cfg

    out = translation.translate(Run, decode.stack_layers(cfg, params), TOK, [Pair("python", "go", "x", "y")] * 2,
                                decode.SamplingConfig(max_new_tokens=8, chunk=4))
    assert len(out) == 2 and out[0] == out[1]  # greedy: the same prompt gives the same text


def test_seen_directions_and_run_languages_follow_the_config():
    from codescale_jax.config import make_config

    mono = make_config("micro-0.1m", language="go")
    assert translation.seen_directions(mono) == ()
    assert loss.run_languages(mono) == ("go",)
    paired = make_config("micro-0.1m", overrides=["data.strategy=paired", "data.directions=python<->go",
                                                   "data.mixture=python=0.5,go=0.5"])
    assert set(translation.seen_directions(paired)) == {("python", "go"), ("go", "python")}
    assert loss.run_languages(paired) == ("python", "go")
    shuffled = make_config("micro-0.1m", overrides=["data.strategy=shuffled"])
    assert translation.seen_directions(shuffled) == ()  # the control never sees an aligned pair
