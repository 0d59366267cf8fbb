"""The embedded synthetic sample: small Comtrade+ and TiVA extracts and reference tables in the real layouts.

Everything under sample/extracts and sample/reference is written by `python -m sample.generate`
(see sample/README.md); nothing in this package is real data.
"""
