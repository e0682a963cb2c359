"""seqio bridge (the ``seqio`` extra): the corpus as per-language seqio Tasks and a weighted Mixture.

For T5X-style users: ``register_language_tasks(corpus_dir)`` adds one Task per language,
``codescale_<lang>``, reading the corpus shards (splits ``train``/``validation``/``test``) and
tokenizing with the corpus's own SentencePiece model (``<corpus>/tokenizer.model``) through
``seqio.SentencePieceVocabulary``. Each example's ``targets`` is ``<lang:ID> text <eos>`` with the
ids of :class:`codescale_jax.data.tokenizer_sp.SentencePieceTokenizer`: the special tokens are
control symbols (text can never produce them), so the tag and ``<eos>`` are added as ids by a
preprocessor, not by tokenizing text. Text ids agree with ``SentencePieceTokenizer.encode``
except for a literal U+2581 character, which that tokenizer keeps as its three byte tokens.

``register_mixture(name, proportions, corpus_dir)`` adds a seqio Mixture. seqio mixes *examples*
at the given rates, so, as in the Grain pipeline, a language's rate is its token share divided by
its mean tokens per document (measured on the validation split); the realised token shares then
match ``proportions`` in expectation.

seqio and TensorFlow are imported only when these functions are called.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Mapping, Sequence

from codescale_jax import languages
from codescale_jax.data.pipeline_mixture import normalize
from codescale_jax.data.shards import SPLITS, open_documents

PREFIX = "codescale"


def _seqio():
    try:
        import seqio
    except ImportError as e:
        raise ImportError("the seqio bridge needs the seqio extra: pip install 'codescale_jax[seqio]'") from e
    return seqio


def task_name(language: str, prefix: str = PREFIX) -> str:
    return f"{prefix}_{languages.canonical(language)}"


def _documents_dataset(corpus_dir: str, language: str, split: str, shuffle_files: bool = False, seed=None):
    """seqio ``dataset_fn``: the documents of one split as a ``tf.data.Dataset`` of ``{"text": str}``."""
    import tensorflow as tf

    def gen():
        for doc in open_documents(corpus_dir, language, split):
            yield {"text": doc}

    return tf.data.Dataset.from_generator(gen, output_signature={"text": tf.TensorSpec([], tf.string)})


def _tag_and_eos(dataset, tag_id: int, eos_id: int):
    """Preprocessor: ``targets`` -> ``[tag] + targets + [eos]`` (ids, after tokenization)."""
    import tensorflow as tf

    def fn(ex):
        ex = dict(ex)
        t = tf.cast(ex["targets"], tf.int32)
        ex["targets"] = tf.concat([tf.constant([tag_id], tf.int32), t, tf.constant([eos_id], tf.int32)], 0)
        return ex

    return dataset.map(fn, num_parallel_calls=tf.data.AUTOTUNE)


def register_language_tasks(corpus_dir: str | Path, langs: Sequence[str] | None = None, prefix: str = PREFIX,
                            vocab_path: str | Path | None = None) -> list[str]:
    """Register ``<prefix>_<lang>`` Tasks (replacing earlier ones of that name); returns their names."""
    seqio = _seqio()
    from codescale_jax.data.tokenizer_sp import SentencePieceTokenizer

    corpus_dir = Path(corpus_dir)
    vocab_path = Path(vocab_path) if vocab_path else corpus_dir / "tokenizer.model"
    if not vocab_path.is_file():
        raise FileNotFoundError(f"no SentencePiece model at {vocab_path}; build the corpus with a tokenizer "
                                "(--tokenizer-vocab) or pass vocab_path")
    tok = SentencePieceTokenizer(vocab_path)  # checks the special-token layout
    vocab = seqio.SentencePieceVocabulary(str(vocab_path))
    if langs is None:
        langs = [l for l in languages.ALL_LANGUAGES if (corpus_dir / l).is_dir()]
    names = []
    for lang in (languages.canonical(l) for l in langs):
        name = task_name(lang, prefix)
        if name in seqio.TaskRegistry.names():
            seqio.TaskRegistry.remove(name)
        seqio.TaskRegistry.add(
            name,
            source=seqio.FunctionDataSource(functools.partial(_documents_dataset, str(corpus_dir), lang), splits=SPLITS),
            preprocessors=[functools.partial(seqio.preprocessors.rekey, key_map={"targets": "text"}),
                           seqio.preprocessors.tokenize,
                           functools.partial(_tag_and_eos, tag_id=tok.lang_id(lang), eos_id=tok.eos_id)],
            output_features={"targets": seqio.Feature(vocab, add_eos=False, dtype=_tf_int32())},
            metric_fns=[])
        names.append(name)
    return names


def _tf_int32():
    import tensorflow as tf

    return tf.int32


def mean_tokens_per_document(corpus_dir: str | Path, language: str, tok, split: str = "validation",
                             sample: int = 256) -> float:
    docs = open_documents(corpus_dir, language, split)
    n = min(len(docs), sample)
    if n == 0:
        raise ValueError(f"no {language} documents in split {split!r} of {corpus_dir} to measure lengths on")
    return sum(len(tok.encode(docs[i])) + 2 for i in range(n)) / n


def mixture_rates(proportions: Mapping[str, float], mean_tokens: Mapping[str, float]) -> dict[str, float]:
    """Example rates that realise the token ``proportions`` given mean tokens per document."""
    props = normalize(proportions)
    raw = {l: p / mean_tokens[l] for l, p in zip(props.languages, props.shares)}
    total = sum(raw.values())
    return {l: r / total for l, r in raw.items()}


def register_mixture(name: str, proportions: Mapping[str, float], corpus_dir: str | Path, prefix: str = PREFIX,
                     vocab_path: str | Path | None = None) -> dict[str, float]:
    """Register the Tasks of ``proportions``' languages and a Mixture ``name`` over them; returns the
    example rates used (language -> rate)."""
    seqio = _seqio()
    from codescale_jax.data.tokenizer_sp import SentencePieceTokenizer

    corpus_dir = Path(corpus_dir)
    props = normalize(proportions)
    register_language_tasks(corpus_dir, props.languages, prefix, vocab_path)
    tok = SentencePieceTokenizer(Path(vocab_path) if vocab_path else corpus_dir / "tokenizer.model")
    rates = mixture_rates(props.as_dict(), {l: mean_tokens_per_document(corpus_dir, l, tok) for l in props.languages})
    if name in seqio.MixtureRegistry.names():
        seqio.MixtureRegistry.remove(name)
    seqio.MixtureRegistry.add(name, [(task_name(l, prefix), r) for l, r in rates.items()])
    return rates
