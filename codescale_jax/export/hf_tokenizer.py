"""Tokenizer files for an exported Hugging Face model directory.

* **Byte tokenizer** (the default): a ``tokenizer.json`` for the ``tokenizers`` library that
  reproduces :class:`codescale_jax.data.tokenizer.ByteTokenizer` id for id. It is a BPE model with
  no merges over the 256 byte symbols of the byte-level pre-tokenizer (each UTF-8 byte becomes one
  printable stand-in character, then one token), the byte ``b`` at id ``offset + b``, and the
  project's special tokens (``<pad>``, ``<eos>``, ``<sep>``, ``<lang:ID>``...) at their fixed ids.
  ``split_special_tokens`` is on, so literal ``"<sep>"`` text in a document encodes as bytes, as it
  does in the project; the special ids are used by adding them to the id list directly.
* **SentencePiece**: the serialized model as ``tokenizer.model`` plus a ``LlamaTokenizer`` config with
  no BOS/EOS insertion and no dummy prefix handling (``legacy``), matching how the project trained it.

Neither tokenizer adds a BOS token: the project's documents are ``<lang:ID> text <eos>``; a caller
prompting the exported model should start with the language tag (``codescale_export.json`` says so).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from codescale_jax import io_utils
from codescale_jax.data.tokenizer import EOS, PAD, special_tokens


def byte_symbols() -> list[str]:
    """The printable stand-in character of every byte value, as used by byte-level pre-tokenizers:
    bytes that are visible Latin-1 characters stand for themselves; the other 68 (controls, space,
    and a few invisible ones) take the code points 256, 257, ... in byte order."""
    visible = set(range(ord("!"), ord("~") + 1)) | set(range(0xA1, 0xAC + 1)) | set(range(0xAE, 0xFF + 1))
    out, extra = [], 0
    for b in range(256):
        if b in visible:
            out.append(chr(b))
        else:
            out.append(chr(256 + extra))
            extra += 1
    return out


def byte_tokenizer_json(offset: int) -> Any:
    """A ``tokenizers.Tokenizer`` equal to ``ByteTokenizer`` (specials at ``0..offset-1``)."""
    try:
        from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    except ImportError as e:
        raise ImportError("exporting the byte tokenizer needs `tokenizers`: pip install 'codescale_jax[hf]'") from e
    specials = special_tokens()
    if len(specials) != offset:
        raise ValueError(f"ByteTokenizer offset {offset} does not match {len(specials)} special tokens")
    vocab = {tok: i for i, tok in enumerate(specials)}
    vocab.update({sym: offset + b for b, sym in enumerate(byte_symbols())})
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    return tok


def _tokenizer_config(tokenizer_class: str, model_max_length: int, **extra: Any) -> dict[str, Any]:
    return {"tokenizer_class": tokenizer_class, "model_max_length": model_max_length,
            "eos_token": EOS, "pad_token": PAD, "bos_token": None,
            "add_bos_token": False, "add_eos_token": False, "clean_up_tokenization_spaces": False,
            "split_special_tokens": True, **extra}


def write_tokenizer(tokenizer, out_dir: str | os.PathLike, *, model_max_length: int) -> list[Path]:
    """Write the files for ``tokenizer`` (a ByteTokenizer or SentencePieceTokenizer) into ``out_dir``."""
    out = Path(out_dir)
    specials = special_tokens()
    special_map = {"eos_token": EOS, "pad_token": PAD, "additional_special_tokens": specials[2:]}
    if tokenizer.name == "bytes":
        tok = byte_tokenizer_json(tokenizer.offset)
        with io_utils.atomic_path(out / "tokenizer.json") as tmp:
            tok.save(str(tmp))
        conf = _tokenizer_config("PreTrainedTokenizerFast", model_max_length)
        files = [out / "tokenizer.json"]
    elif tokenizer.name == "sentencepiece":
        io_utils.atomic_write_bytes(out / "tokenizer.model", tokenizer.serialized_model())
        conf = _tokenizer_config("LlamaTokenizer", model_max_length, unk_token="<unk>", legacy=True,
                                 add_prefix_space=False, sp_model_kwargs={})
        files = [out / "tokenizer.model"]
    else:
        raise ValueError(f"cannot export tokenizer {tokenizer.name!r}; supported: bytes, sentencepiece")
    io_utils.atomic_write_json(out / "tokenizer_config.json", conf)
    io_utils.atomic_write_json(out / "special_tokens_map.json", special_map)
    return files + [out / "tokenizer_config.json", out / "special_tokens_map.json"]
