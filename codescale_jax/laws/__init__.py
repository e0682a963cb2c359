"""Scaling laws: forms, jaxopt fitting with bootstrap intervals, synergy/transfer, allocation, presets.

Modules: ``forms`` (pure law functions), ``solver`` (every jaxopt call), ``fit`` (multistart grid fit),
``bootstrap`` (run-level resampling), ``pipeline`` (rows -> laws.json entries, holdout), ``lawfile``
(laws.json), ``synergy`` and ``transfer`` (bilingual runs), ``allocate`` (token split on the simplex),
``presets`` (the study's published numbers), ``plots`` (PNG figures), ``datasets`` (validation data).
"""
