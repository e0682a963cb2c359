"""Tokenizers. Every tokenizer shares one small interface and one special-token layout.

Special tokens (ids are fixed per tokenizer, listed in ``special``):
  ``<pad>`` (id 0 everywhere), ``<eos>``, ``<sep>`` (the pair separator) and one ``<lang:ID>`` per
  language of the registry.

``ByteTokenizer`` is the zero-dependency default: ids ``0..S-1`` are the specials, then 256 bytes.
A SentencePiece BPE tokenizer with the same interface lives in ``tokenizer_sp.py``.
"""

from __future__ import annotations

from typing import Protocol, Sequence

from codescale_jax import languages

PAD, EOS, SEP = "<pad>", "<eos>", "<sep>"


def special_tokens() -> list[str]:
    """The ordered list of special tokens: pad, eos, sep, then one tag per language."""
    return [PAD, EOS, SEP] + [languages.REGISTRY[l].tag for l in languages.ALL_LANGUAGES]


class Tokenizer(Protocol):
    name: str

    @property
    def vocab_size(self) -> int: ...

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Sequence[int]) -> str: ...

    def special_id(self, token: str) -> int: ...


class ByteTokenizer:
    """UTF-8 bytes shifted past the special tokens. Exact round trip for any text."""

    name = "bytes"

    def __init__(self):
        self._special = special_tokens()
        self._special_ids = {t: i for i, t in enumerate(self._special)}
        self.offset = len(self._special)

    @property
    def vocab_size(self) -> int:
        return self.offset + 256

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def eos_id(self) -> int:
        return self._special_ids[EOS]

    @property
    def sep_id(self) -> int:
        return self._special_ids[SEP]

    def lang_id(self, language: str) -> int:
        return self._special_ids[languages.get(language).tag]

    def special_id(self, token: str) -> int:
        return self._special_ids[token]

    def encode(self, text: str) -> list[int]:
        off = self.offset
        return [b + off for b in text.encode("utf-8")]

    def decode(self, ids: Sequence[int]) -> str:
        off = self.offset
        data = bytes(int(i) - off for i in ids if int(i) >= off)
        return data.decode("utf-8", errors="replace")

    def to_json(self) -> dict:
        return {"kind": "bytes"}


def from_spec(spec: dict | str | None):
    """Build a tokenizer from its JSON spec (``{"kind": "bytes"}`` or ``{"kind": "sentencepiece", "model": PATH}``)."""
    if spec is None or spec == "bytes" or (isinstance(spec, dict) and spec.get("kind") == "bytes"):
        return ByteTokenizer()
    if isinstance(spec, str):
        spec = {"kind": "sentencepiece", "model": spec}
    if spec.get("kind") == "sentencepiece":
        from codescale_jax.data.tokenizer_sp import SentencePieceTokenizer

        return SentencePieceTokenizer(spec["model"])
    raise ValueError(f"unknown tokenizer spec {spec!r}; use 'bytes' or a SentencePiece model path")
