"""SentencePiece BPE tokenizer: same interface and special ids as ByteTokenizer, exact round trip."""

import random

import pytest

from codescale_jax import languages
from codescale_jax.data import embedded
from codescale_jax.data.tokenizer import ByteTokenizer, from_spec, special_tokens
from codescale_jax.data.tokenizer_sp import (SentencePieceTokenizer, balanced_sample, chunk_document,
                                             tokens_per_byte, train_sentencepiece)

CODE = {
    "go": ["package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfor i := 0; i < 10; i++ {\n\t\tfmt.Println(i * 42)\n\t}\n}\n"] * 3,
    "rust": ["fn main() {\n    let v: Vec<u32> = (0..10).collect();\n    println!(\"{:?}\", v);\n}\n"] * 3,
    "english": ["The quick brown fox jumps over the lazy dog. It was 1999.\n\nA new paragraph.\n"] * 3,
}


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    docs = dict(CODE)
    docs["python"] = [p.read_text(encoding="utf-8") for p in embedded.stdlib_python_files()[:60]]
    path = tmp_path_factory.mktemp("tok") / "tokenizer.model"
    return train_sentencepiece(docs, vocab_size=1024, out_path=path, bytes_per_language=300_000)


def test_special_ids_match_byte_tokenizer(tok):
    bt = ByteTokenizer()
    assert tok.pad_id == bt.pad_id == 0
    assert tok.eos_id == bt.eos_id
    assert tok.sep_id == bt.sep_id
    for lang in languages.ALL_LANGUAGES:
        assert tok.lang_id(lang) == bt.lang_id(lang)
    for t in special_tokens():
        assert tok.special_id(t) == bt.special_id(t)
    assert tok.lang_id("golang") == tok.lang_id("go")
    assert tok.vocab_size == 1024
    with pytest.raises(KeyError):
        tok.special_id("<nope>")


def _random_text(rng: random.Random) -> str:
    alphabet = list("abcdefXYZ0123456789 _(){}[];:.,'\"\\/#<>=+-*\t\n\r") + ["▁", "é", "ß", "😀", "中", "\x00", "\u200b",
                                                                         "<sep>", "<eos>", "<lang:go>", "    "]
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 200)))


@pytest.mark.parametrize("seed", range(5))
def test_exact_round_trip_random_text(tok, seed):
    rng = random.Random(seed)
    for _ in range(200):
        s = _random_text(rng)
        ids = tok.encode(s)
        assert tok.decode(ids) == s
        assert all(0 <= i < tok.vocab_size for i in ids)


def test_text_never_produces_control_ids(tok):
    ids = tok.encode("<pad><eos><sep><lang:python><lang:english>")
    controls = set(range(len(special_tokens())))
    assert not controls & set(ids)


def test_whitespace_newlines_and_digits(tok):
    s = "  def f():\n\n        return 12345\t\r\n   "
    pieces = [tok.decode([i]) for i in tok.encode(s)]
    assert "".join(pieces) == s
    assert "\n" in pieces  # newline is its own piece
    digits = [p for p in pieces if any(c.isdigit() for c in p)]
    assert digits == list("12345")  # digits are split one per token
    assert tok.decode([tok.eos_id, tok.lang_id("go")] + tok.encode("x")) == "x"  # specials decode to nothing


def test_batch_matches_single(tok):
    texts = ["a ▁ b", "", "print(1)\n", "x" * 5000]
    assert tok.encode_batch(texts, num_threads=2) == [tok.encode(t) for t in texts]


def test_save_load_and_spec(tok):
    again = from_spec({"kind": "sentencepiece", "model": tok.model_path})
    assert isinstance(again, SentencePieceTokenizer)
    assert again.encode("hello world") == tok.encode("hello world")
    assert from_spec(tok.model_path).vocab_size == tok.vocab_size
    assert tok.to_json()["kind"] == "sentencepiece"


def test_compresses_code_better_than_bytes(tok):
    docs = [p.read_text(encoding="utf-8") for p in embedded.stdlib_python_files()[60:80]]
    n_tok, n_bytes = tokens_per_byte(tok, docs)
    assert 0 < n_tok < 0.6 * n_bytes


def test_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match="too small"):
        train_sentencepiece(CODE, vocab_size=100)
    with pytest.raises(ValueError, match="no documents"):
        train_sentencepiece({}, vocab_size=1024)
    with pytest.raises(FileNotFoundError):
        SentencePieceTokenizer(tmp_path / "missing.model")
    (tmp_path / "junk.model").write_bytes(b"junk")
    with pytest.raises(ValueError, match="not a SentencePiece model"):
        SentencePieceTokenizer(tmp_path / "junk.model")


def test_balanced_sample_caps_each_language():
    docs = {"python": ["a = 1\n" * 1000] * 50, "go": ["x := 1\n" * 10]}
    sample = balanced_sample(docs, bytes_per_language=20_000, seed=0)
    py = sum(len(c) for c in sample if c.startswith("a ="))
    go = sum(len(c) for c in sample if c.startswith("x :="))
    assert 20_000 <= py < 30_000  # stops at the cap (plus at most one chunk)
    assert go == 70  # a small language contributes everything it has


def test_chunk_document_keeps_text():
    text = "line\n" * 3000 + "y" * 9000
    chunks = list(chunk_document(text, max_chars=4000))
    assert "".join(chunks) == text and max(map(len, chunks)) <= 4000


def test_benchmark_reports_speed_and_round_trip(tok):
    from codescale_jax.data.tokenizer_sp import benchmark

    docs = [p.read_text(encoding="utf-8") for p in embedded.stdlib_python_files()[80:90]] + ["x ▁ y"]
    r = benchmark(tok, docs, threads=2)
    assert r["documents"] == 11 and r["roundtrip_failures"] == 0
    assert r["encode_mb_per_s_1_thread"] > 0 and r["encode_mb_per_s_2_thread"] > 0 and r["decode_mb_per_s"] > 0
    assert r["tokens"] == sum(len(tok.encode(d)) for d in docs)


def test_pickles_for_worker_processes(tok):
    import pickle

    clone = pickle.loads(pickle.dumps(tok))
    s = "fn main() { println!(\"▁ 42\"); }\n"
    assert clone.encode(s) == tok.encode(s) and clone.decode(clone.encode(s)) == s
    assert clone.model_path == tok.model_path


def test_cli_trains_and_benchmarks_on_a_corpus(tmp_path, capsys):
    import json

    from codescale_jax.data import shards, tokenizer_sp

    py = [p.read_text(encoding="utf-8") for p in embedded.stdlib_python_files()[:20]]
    for lang, docs in (("python", py), ("go", CODE["go"] * 5)):
        for split in shards.SPLITS:
            shards.write_split(tmp_path / lang, split, docs, corpus_root=tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"languages": {"python": {}, "go": {}}}))
    rc = tokenizer_sp.main(["--corpus", str(tmp_path), "--train-vocab", "600", "--model", str(tmp_path / "t.model"),
                            "--sample-mb", "0.2"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rc == 0
    assert lines[0]["vocab_size"] == 600 and (tmp_path / "t.model").is_file()
    assert {r["language"] for r in lines[1:]} == {"python", "go", "all"}
    assert all(r["roundtrip_failures"] == 0 and r["encode_mb_per_s_1_thread"] > 0 for r in lines[1:])


def test_line_split_encoding_equals_whole_text_encoding(tok):
    # encode_batch cuts at newlines for speed; the ids must equal SentencePiece's on the whole text
    docs = [p.read_text(encoding="utf-8") for p in embedded.stdlib_python_files()[100:130]] + ["\n\n a\n\nb \n"]
    assert tok.encode_batch(docs, num_threads=2) == [list(x) for x in tok._sp.encode(docs)]
