import json

import pytest

from codescale_jax import io_utils
from codescale_jax.data.tokenizer import ByteTokenizer, special_tokens


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / "result.json"
    io_utils.atomic_write_json(path, {"a": 1})
    with pytest.raises(RuntimeError):
        with io_utils.atomic_path(path) as tmp:
            tmp.write_text("half-writ")
            raise RuntimeError("killed")
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]  # no temp left behind


def test_jsonl_skips_torn_line(tmp_path):
    path = tmp_path / "m.jsonl"
    io_utils.append_jsonl(path, {"step": 1})
    with open(path, "a") as fh:
        fh.write('{"step": 2, "lo')  # torn by a kill
    assert io_utils.read_jsonl(path) == [{"step": 1}]


def test_byte_tokenizer_round_trip_and_specials():
    tok = ByteTokenizer()
    text = "def f(x):\n\treturn x  # é ✓\n"
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert min(ids) >= tok.offset and tok.vocab_size == len(special_tokens()) + 256
    assert tok.pad_id == 0 and tok.lang_id("py") != tok.lang_id("rust")
    assert tok.decode([tok.eos_id, tok.lang_id("go")] + ids) == text
