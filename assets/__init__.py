"""Software-defined assets, one module per stage (reference, raw, cleaning, harmonization, indicators, reports).

The stage modules are thin Dagster wrappers; the logic lives in `assets.sources` (readers and clients) and
`assets.transforms` (pure DataFrame functions), which never import dagster so notebooks can use them.
Dagster-facing modules do not use `from __future__ import annotations`: Dagster inspects the `context`
annotation at definition time and rejects it as a string.
"""
