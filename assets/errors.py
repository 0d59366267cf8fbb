"""Exceptions a user sees, and the one-line form of their messages.

Each message names the file, row or column, what was expected and what to do. `one_line` is the form a
message takes where only a line fits: the `rvc backfill` summary and a failed step's description in the
Dagster UI (assets/step_failures.py), so both read the same.
"""

from __future__ import annotations

import re

# Long enough for a file path, a row and what to do; the full message stays in the error chain and the log.
MAX_LINE_LENGTH = 600


class RvcInputError(ValueError):
    """Bad input data: a file, row or column that does not match what the pipeline expects.

    `file`, `row` and `column`, when the raiser knows them, are shown beside the message as the failed
    step's metadata in the UI; the message names them too, so they are optional.
    """

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.file, self.row, self.column = file, row, column


class RvcSourceError(RuntimeError):
    """A remote source (Comtrade API, OECD SDMX) failed or answered something unusable."""


def one_line(text: str, limit: int = MAX_LINE_LENGTH) -> str:
    """Lines joined with '; ', runs of spaces collapsed, cut at `limit` characters with '…'."""
    parts = [re.sub(r"\s+", " ", line).strip() for line in text.strip().splitlines()]
    joined = "; ".join(part for part in parts if part)
    return joined if len(joined) <= limit else joined[: limit - 1].rstrip() + "…"
