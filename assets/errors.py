"""Exceptions a user sees. Each message names the file, row or column, what was expected and what to do."""

from __future__ import annotations


class RvcInputError(ValueError):
    """Bad input data: a file, row or column that does not match what the pipeline expects."""


class RvcSourceError(RuntimeError):
    """A remote source (Comtrade API, OECD SDMX) failed or answered something unusable."""
