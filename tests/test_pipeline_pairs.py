"""Pairing strategies (paired, paired-prompt, shuffled), directions, translation eval batches and
the per-direction loss matrix."""

from collections import Counter

import numpy as np
import pytest

from codescale_jax import languages
from codescale_jax.data import pipeline as P
from codescale_jax.data import pipeline_pairs as PP
from codescale_jax.data import pipeline_translation as T
from codescale_jax.data.packing import lm_batch
from codescale_jax.data.pipeline_encode import LANGS, TOKENS, language_index
from codescale_jax.data.pipeline_packing import first_fit_rows, padding_fraction
from codescale_jax.data.tokenizer import ByteTokenizer

TOK = ByteTokenizer()
CODE = languages.CODE_LANGUAGES


@pytest.fixture(scope="module")
def corpus():
    """Eight generated programs rendered in all seven languages (exact parallel documents)."""
    return PP.synthetic_parallel_corpus(8, seed=0)


def multiset(ds):
    """(language, token) multiset of every element of a finite pair dataset."""
    c = Counter()
    for k in range(len(ds)):
        e = ds[k]
        c.update(zip(e[LANGS].tolist(), e[TOKENS].tolist()))
    return c


def test_directions():
    default = PP.parse_directions()
    assert len(default) == 12 and all("python" in d for d in default)
    assert ("java", "python") in default and ("java", "go") not in default
    assert len(PP.parse_directions("all")) == 42
    assert PP.parse_directions("py->rs,js<->ts") == (("python", "rust"), ("javascript", "typescript"),
                                                      ("typescript", "javascript"))
    for bad in ("python", "python->python", "python->cobol"):
        with pytest.raises(ValueError):
            PP.parse_directions(bad)


def test_paired_document_layout(corpus):
    ds = PP.PairsMapDataset(corpus, TOK, [("python", "go")], "paired")
    e = ds[3]
    want = ([TOK.lang_id("python")] + TOK.encode(corpus.text(3, "python")) + [TOK.sep_id]
            + [TOK.lang_id("go")] + TOK.encode(corpus.text(3, "go")) + [TOK.eos_id])
    assert e[TOKENS].tolist() == want
    n_src = len(TOK.encode(corpus.text(3, "python"))) + 2
    assert (e[LANGS][:n_src] == language_index("python")).all() and (e[LANGS][n_src:] == language_index("go")).all()


def test_paired_prompt_puts_an_english_instruction_between(corpus):
    e = PP.PairsMapDataset(corpus, TOK, [("java", "python")], "paired-prompt")[0]
    text = TOK.decode(e[TOKENS][e[LANGS] == language_index("english")])
    assert text == "Translate the Java program above to Python.\n"
    sep = int(np.flatnonzero(e[TOKENS] == TOK.sep_id)[0])
    assert e[TOKENS][sep + 1 + len(text)] == TOK.lang_id("python")


def test_shuffled_has_the_same_token_multiset_per_language_and_breaks_every_pair(corpus):
    dirs = PP.parse_directions()
    paired = PP.PairsMapDataset(corpus, TOK, dirs, "paired")
    shuffled = PP.PairsMapDataset(corpus, TOK, dirs, "shuffled", seed=5)
    assert len(paired) == len(shuffled) == 8 * 12
    assert multiset(paired) == multiset(shuffled)
    for k in range(len(shuffled)):
        src, tgt, i, j = shuffled.pair_of(k)
        assert i != j
    # Same per-language token counts, and not just by accident of identical documents:
    assert any(not np.array_equal(paired[k][TOKENS], shuffled[k][TOKENS]) for k in range(len(paired)))


def test_derangement_is_a_permutation_without_fixed_points():
    for n in (2, 3, 10, 101):
        p = PP.derangement(n, seed=n)
        assert sorted(p.tolist()) == list(range(n)) and not (p == np.arange(n)).any()
    with pytest.raises(ValueError, match="at least 2"):
        PP.derangement(1, 0)


def test_pairs_mix_with_monolingual_languages(corpus):
    pairs = PP.PairsMapDataset(corpus, TOK, PP.parse_directions(), "paired")
    mono = P.language_components({"python": [corpus.text(i, "python") for i in range(8)]},
                                 P.uniform(["python"]), TOK)[0]
    pipe = P.MixturePipeline([P.Component("python", mono.dataset, 0.5), P.Component("pairs", pairs, 0.5)],
                             P.PipelineOptions(seq_len=512, batch_size=4))
    it = iter(pipe)
    rows = [next(it) for _ in range(8)]
    assert rows[0][TOKENS].shape == (4, 513)
    assert any((r[TOKENS] == TOK.sep_id).any() for r in rows)  # pair documents are in the stream


def test_translation_batches_score_target_tokens_only(corpus):
    ds = PP.PairsMapDataset(corpus, TOK, [("python", "rust")], "paired")
    longest = max(ds[k][TOKENS].shape[0] for k in range(len(ds)))
    batches, stats = T.direction_batches(corpus, TOK, ("python", "rust"), seq_len=longest, batch_size=2)
    assert stats["pairs"] == 8 and stats["dropped_too_long"] == 0 and 0 <= stats["padding_fraction"] < 1
    scored = []
    for b in batches:
        m = b["loss_mask"] > 0
        scored.extend(b["targets"][m].tolist())
        assert not np.isin(b["targets"][m], [TOK.sep_id, TOK.lang_id("rust"), TOK.lang_id("python")]).any()
    want = []
    for i in range(8):
        want.extend(TOK.encode(corpus.text(i, "rust")) + [TOK.eos_id])
    assert sorted(scored) == sorted(want)  # exactly the target texts and their <eos>, nothing of the source
    assert stats["target_tokens"] == len(want)


def test_first_fit_keeps_pairs_whole_and_drops_what_does_not_fit(corpus):
    ds = PP.PairsMapDataset(corpus, TOK, [("go", "java")], "paired", target_mask=True)
    examples = [ds[k] for k in range(len(ds))]
    lengths = sorted(e[TOKENS].shape[0] for e in examples)
    length = lengths[-2]  # the longest pair does not fit
    packed = first_fit_rows(examples, length)
    assert packed.dropped == 1
    rows = packed.rows
    for r in range(rows[TOKENS].shape[0]):
        for s in np.unique(rows["segment_ids"][r]):
            if s == 0:
                continue
            piece = rows[TOKENS][r][rows["segment_ids"][r] == s]
            assert piece[0] == TOK.lang_id("go") and piece[-1] == TOK.eos_id  # whole pair in one row
    assert packed.padding_fraction == padding_fraction(rows) > 0


def test_loss_matrix_places_each_direction_and_leaves_the_rest_nan(corpus):
    dirs = [("python", "java"), ("java", "python"), ("go", "rust")]
    batches, _ = T.translation_batches(corpus, TOK, dirs, seq_len=16384, batch_size=4, max_pairs=3)

    def fake_loss(batch):  # mean "loss" = the mean target id: distinct per target language
        m = batch["loss_mask"]
        return float((batch["targets"] * m).sum()), float(m.sum())

    m = T.loss_matrix(fake_loss, batches)
    assert m.shape == (7, 7)
    for (a, b), bs in batches.items():
        i, j = CODE.index(a), CODE.index(b)
        direct = sum(float((x["targets"] * x["loss_mask"]).sum()) for x in bs) / sum(float(x["loss_mask"].sum()) for x in bs)
        assert m[i, j] == pytest.approx(direct)
    assert np.isnan(m).sum() == 49 - 3 and np.isnan(np.diag(m)).all()
    table = T.format_matrix(m, trained=[("python", "java")])
    assert "*" in table and table.count("\n") == 7


def test_lm_batch_on_first_fit_rows_matches_manual_mask(corpus):
    ds = PP.PairsMapDataset(corpus, TOK, [("python", "typescript")], "paired", target_mask=True)
    packed = first_fit_rows([ds[0], ds[1]], 8192)
    b = lm_batch(packed.rows, weights=PP.TARGET)
    n_target = sum(len(TOK.encode(corpus.text(i, "typescript"))) + 1 for i in (0, 1))
    assert float(b["loss_mask"].sum()) == n_target
