"""real-micro: the micro study on the registries corpus (real code from package registries).

    python -m experiments.build_corpus --recipe registries --out artifacts/corpus/registries   # once
    python -m experiments.reproduce --preset real-micro --out runs/study-real-micro

Same grid, synergy, pairing and allocation as ``micro`` (156 runs), on real code instead of the
mostly synthetic embedded corpus. Expected time: about that of ``micro`` (the same FLOPs; NOT yet
timed). Expected result: seven laws whose losses sit higher than on the synthetic programs (real
code is less regular), and a synergy matrix that can be compared with the study's Table 1 in sign.
"""

import dataclasses

from experiments.presets.micro import PRESET as _MICRO

PRESET = dataclasses.replace(_MICRO, name="real-micro", corpus="registries")
