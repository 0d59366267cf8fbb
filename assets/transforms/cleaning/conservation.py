"""Conservation of the Comtrade cleaning stage: every raw row lands in exactly one output, with its value.

What belongs here: the report (rows and value per destination, measured in the outputs and in the raw rows
they point to) and the list of violations an asset check fails on. Rows are matched by provenance
(source_file, source_row), which the raw contract makes unique.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from assets.transforms.comtrade_cleaning import CleaningResult

REPORT_COLUMNS = ["reason", "destination", "rows", "value_usd", "raw_value_usd", "unmatched_rows"]
_REL_TOL = 1e-9  # sums of the same float values in a different order differ only in the last bits


def _row_ids(frame: pd.DataFrame, files: pd.Index, stride: int) -> np.ndarray:
    """int64 id of (source_file, source_row); -1 where the file is not one of `files` or the row is empty."""
    file_number = files.get_indexer(frame["source_file"]).astype(np.int64)
    row = frame["source_row"].to_numpy(dtype=np.int64, na_value=-1)
    ids = file_number * stride + row
    ids[(file_number < 0) | (row < 0)] = -1
    return ids


def _destinations(result: CleaningResult) -> list[tuple[str, str, pd.DataFrame, np.ndarray]]:
    """(reason, destination, rows, value per row) for clean, totals and each reject reason."""
    parts = [
        ("clean", "clean", result.clean, result.clean["value_usd"].to_numpy(dtype="float64")),
        ("totals", "totals", result.totals, result.totals["value_usd"].to_numpy(dtype="float64")),
    ]
    rejects = result.rejects
    for reason in sorted(rejects["reason"].dropna().unique()):
        rows = rejects[(rejects["reason"] == reason).to_numpy()]
        parts.append((str(reason), "rejects", rows, rows["primaryValue"].to_numpy(dtype="float64")))
    return parts


def _accounting(raw: pd.DataFrame, result: CleaningResult) -> tuple[pd.DataFrame, dict[str, int]]:
    files = pd.Index(raw["source_file"].dropna().unique())
    frames = (raw, result.clean, result.totals, result.rejects)
    stride = 1 + max(int(frame["source_row"].fillna(0).max()) if len(frame) else 0 for frame in frames)
    raw_ids = _row_ids(raw, files, stride)
    first = ~pd.Index(raw_ids).duplicated()
    counts = {"raw_rows": len(raw), "raw_duplicate_provenance": int((~first).sum())}
    unique_ids = pd.Index(raw_ids[first])
    raw_values = raw["primaryValue"].to_numpy(dtype="float64")[first]
    hits = np.zeros(len(unique_ids), dtype=np.int64)
    records = []
    for reason, destination, rows, values in _destinations(result):
        positions = unique_ids.get_indexer(_row_ids(rows, files, stride))
        matched = positions >= 0
        np.add.at(hits, positions[matched], 1)
        records.append({
            "reason": reason,
            "destination": destination,
            "rows": len(rows),
            "value_usd": float(np.nansum(values)),
            "raw_value_usd": float(np.nansum(raw_values[positions[matched]])),
            "unmatched_rows": int((~matched).sum()),
        })
    missing = hits == 0
    records.append({
        "reason": "missing",
        "destination": "none",
        "rows": int(missing.sum()),
        "value_usd": float(np.nansum(raw_values[missing])),
        "raw_value_usd": float(np.nansum(raw_values[missing])),
        "unmatched_rows": 0,
    })
    counts["rows_in_several_outputs"] = int((hits > 1).sum())
    report = pd.DataFrame.from_records(records, columns=REPORT_COLUMNS)
    report = report.astype({"rows": "Int64", "unmatched_rows": "Int64"})
    return report, counts


def conservation_report(raw: pd.DataFrame, result: CleaningResult) -> pd.DataFrame:
    """Rows and value per destination: REPORT_COLUMNS, one row for clean, totals, each reject reason, and
    "missing" (raw rows found in no output; should be 0). value_usd is measured in the output (value_usd or
    the reject's primaryValue), raw_value_usd on the raw rows the output rows point to; unmatched_rows counts
    output rows whose (source_file, source_row) is not in raw."""
    return _accounting(raw, result)[0]


def conservation_violations(raw: pd.DataFrame, result: CleaningResult) -> list[str]:
    """Readable violations of "every raw row is in exactly one of clean, totals, rejects, with its value";
    an empty list means the stage conserved rows and value."""
    report, counts = _accounting(raw, result)
    problems = []
    if counts["raw_duplicate_provenance"]:
        problems.append(
            f"{counts['raw_duplicate_provenance']} raw rows repeat another row's (source_file, source_row); "
            "the reader must number rows uniquely"
        )
    missing = int(report.loc[report["reason"] == "missing", "rows"].iloc[0])
    if missing:
        problems.append(f"{missing} raw rows are in none of clean, totals, rejects")
    if counts["rows_in_several_outputs"]:
        problems.append(f"{counts['rows_in_several_outputs']} raw rows appear more than once across clean, totals, rejects")
    output_rows = int(report.loc[report["destination"] != "none", "rows"].sum())
    if output_rows != counts["raw_rows"]:
        problems.append(f"outputs hold {output_rows} rows, raw has {counts['raw_rows']}")
    for record in report[report["destination"] != "none"].itertuples(index=False):
        if record.unmatched_rows:
            problems.append(f"{record.reason}: {record.unmatched_rows} rows point to no raw row (source_file, source_row)")
        if not math.isclose(record.value_usd, record.raw_value_usd, rel_tol=_REL_TOL, abs_tol=1e-6):
            problems.append(
                f"{record.reason}: value {record.value_usd!r} USD differs from its raw rows' primaryValue {record.raw_value_usd!r} USD"
            )
    return problems
