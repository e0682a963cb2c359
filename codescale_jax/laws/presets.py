"""The study's published numbers, each marked with what the paper did not report.

Source: Yang et al., "Scaling Laws for Code: Every Programming Language Matters", arXiv:2512.13472
(v1, Dec 2025). Values read from the v1 text: Figure 2 labels (per-language exponents and floors),
Table 1 (synergy), Eqs. 3-5 (translation laws), Eq. 8 (law under the optimized allocation).

The paper reports neither ``A`` nor ``B`` of the per-language laws, nor the units of N and D, nor
gamma or how tau was derived. A preset therefore cannot predict losses on its own: allocating from
it raises :class:`IncompletePresetError` naming the missing constants unless the caller supplies them.
"""

from __future__ import annotations

import numpy as np

from codescale_jax.errors import InputError
from codescale_jax.laws.forms import PARAM_NAMES
from codescale_jax.laws.synergy import Synergy

CITATION = "Yang et al. 2025, Scaling Laws for Code: Every Programming Language Matters, arXiv:2512.13472"

#: Figure 2 labels: (alpha_N, alpha_D, L_inf). The text says Python has the largest exponents; the
#: labels say the opposite for alpha_N. Units of N and D are unstated.
PER_LANGUAGE = {
    "python": (0.221, 1.217, 0.566),
    "java": (0.447, 1.129, 0.397),
    "javascript": (0.692, 1.247, 0.554),
    "typescript": (0.439, 1.303, 0.518),
    "csharp": (0.321, 1.350, 0.288),
    "go": (0.845, 1.149, 0.414),
    "rust": (0.643, 1.297, 0.397),
}
PER_LANGUAGE_NOT_REPORTED = ("A", "B", "units of N and D")

#: Table 1: validation loss of the target (row) after a 50:50 mix with the auxiliary (column);
#: the diagonal is the target repeated. Column order reconstructed from the printed percentages.
SYNERGY_LANGUAGES = ("python", "java", "javascript", "typescript", "csharp", "go", "rust")
SYNERGY_LOSS = np.array([
    [0.7528, 0.7426, 0.7613, 0.7600, 0.7656, 0.7688, 0.7733],
    [0.8490, 0.9034, 0.7894, 0.7942, 0.7175, 0.8069, 0.7913],
    [0.5126, 0.5262, 0.5424, 0.5170, 0.5292, 0.5352, 0.5285],
    [0.5124, 0.5225, 0.5169, 0.5347, 0.5257, 0.5273, 0.5284],
    [0.3327, 0.3393, 0.3352, 0.3331, 0.3459, 0.3395, 0.3391],
    [0.4121, 0.4200, 0.4211, 0.4137, 0.4200, 0.4328, 0.4204],
    [0.3801, 0.3840, 0.3788, 0.3794, 0.3843, 0.3844, 0.3954],
])

#: Eqs. 3-5: L = A N^-alpha + B D^-beta + L_inf for translation loss. The alpha of the "seen" law is
#: printed as 6.404, which is implausible; kept as printed and flagged.
TRANSLATION = {
    "zero_shot_shuffled": {"A": 0.1574, "B": 9.553, "alpha_N": 0.3470, "alpha_D": 0.8829, "L_inf": 0.1236},
    "seen_parallel": {"A": 0.0508, "B": 0.793, "alpha_N": 6.404, "alpha_D": 0.8829, "L_inf": 0.1006,
                      "note": "alpha_N printed as 6.404 (suspicious)"},
    "unseen_parallel": {"A": 0.0350, "B": 4.518, "alpha_N": 0.781, "alpha_D": 0.869, "L_inf": 0.0524},
}
TRANSLATION_NOT_REPORTED = ("units of N and D",)

#: Eq. 8: exponents and floor of the law under the optimized allocation (A, B not reported).
OPTIMIZED_LAW = {"alpha_N": 0.2186, "alpha_D": 0.6859, "L_inf": 0.2025}
MIXTURE_NOT_REPORTED = ("A", "B", "gamma", "tau derivation", "optimizer")


class IncompletePresetError(InputError, ValueError):
    """A preset lacks constants the requested computation needs."""


def synergy_table() -> Synergy:
    """Table 1 as a :class:`Synergy` object (its relative values reproduce the printed percentages)."""
    return Synergy(languages=SYNERGY_LANGUAGES, loss=SYNERGY_LOSS.copy())


def per_language_laws(supplied: dict[str, dict[str, float]] | None = None,
                      languages: tuple[str, ...] | None = None) -> dict[str, dict[str, float]]:
    """Complete per-language laws from the preset plus user-supplied constants.

    ``supplied`` maps language -> {"A": .., "B": ..} (any PARAM_NAMES key overrides the preset).
    Raises :class:`IncompletePresetError` listing every missing constant per language.
    """
    supplied = supplied or {}
    langs = tuple(languages) if languages else tuple(PER_LANGUAGE)
    out, missing = {}, {}
    for lang in langs:
        if lang not in PER_LANGUAGE:
            raise IncompletePresetError(f"the study reports no law for {lang!r}; known: {', '.join(PER_LANGUAGE)}")
        an, ad, e = PER_LANGUAGE[lang]
        entry = {"alpha_N": an, "alpha_D": ad, "L_inf": e, **supplied.get(lang, {})}
        lacking = [k for k in PARAM_NAMES if k not in entry]
        if lacking:
            missing[lang] = lacking
        else:
            out[lang] = {k: float(entry[k]) for k in PARAM_NAMES}
    if missing:
        detail = "; ".join(f"{lang}: {', '.join(v)}" for lang, v in missing.items())
        raise IncompletePresetError(
            f"preset 'paper' ({CITATION}) did not report {', '.join(PER_LANGUAGE_NOT_REPORTED)}; "
            f"missing constants -> {detail}. Supply them (e.g. --set python.A=...,python.B=...) or fit "
            f"laws on your own runs with experiments.fit_laws")
    return out


def describe() -> dict:
    """Everything in the preset, with the not-reported lists, as JSON-able data."""
    return {
        "citation": CITATION,
        "per_language": {k: dict(zip(("alpha_N", "alpha_D", "L_inf"), v)) for k, v in PER_LANGUAGE.items()},
        "per_language_not_reported": list(PER_LANGUAGE_NOT_REPORTED),
        "synergy": synergy_table().to_json(),
        "translation": TRANSLATION, "translation_not_reported": list(TRANSLATION_NOT_REPORTED),
        "optimized_law": OPTIMIZED_LAW, "mixture_not_reported": list(MIXTURE_NOT_REPORTED),
    }
