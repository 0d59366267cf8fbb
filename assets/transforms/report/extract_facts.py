"""What the report stands on, summarized from the stored tables: source files, rejected rows, HS chapters
present, reconciliation rules, HS vintages and conversion, CIF/FOB factors.

Belongs here: DuckDB aggregate queries over the yearly Parquet files (they can hold millions of rows, so
they are never loaded whole). Not here: wording (coverage.py) or the Dagster wiring (assets/reports.py).
Every path in the output is the one the tables store (`source_file`, relative to the extracts folder);
an absolute path (a file outside the extracts folder) is cut to its file name, so no machine's folder
ever reaches the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

import duckdb
import pandas as pd


@dataclass(frozen=True)
class StoredTables:
    """The stored yearly files of the tables the report summarizes (empty tuple = none stored)."""

    comtrade_clean: tuple[Path, ...] = ()
    comtrade_totals: tuple[Path, ...] = ()
    comtrade_rejects: tuple[Path, ...] = ()
    tiva_clean: tuple[Path, ...] = ()
    tiva_rejects: tuple[Path, ...] = ()
    trade_flows: tuple[Path, ...] = ()


@dataclass(frozen=True)
class ExtractFacts:
    sources: pd.DataFrame  # family, source_file, layout, release, retrieved_at, sha256, years, rows_used, rows_rejected
    rejects: pd.DataFrame  # family, reason, rows, value_usd (Comtrade primaryValue; NaN for TiVA)
    hs_headings: pd.DataFrame  # heading (4-digit), rows, value_usd of the cleaned bilateral HS6 facts
    reconciliation: pd.DataFrame  # recon_rule, rows, value_usd of trade_flows
    hs_vintages: pd.DataFrame  # hs_vintage, rows, value_usd, split_rows (conversion_weight < 1)
    cif_fob: pd.DataFrame  # rows_with_ratio, median_ratio, min_ratio, max_ratio
    cif_fob_method: str = ""
    weights_by_method: pd.DataFrame = field(default_factory=pd.DataFrame)  # weight_method, links


def relative_name(source_file: object) -> str:
    """The stored relative path, or only the file name when a path is absolute (POSIX or Windows)."""
    text = str(source_file)
    for flavour in (PurePosixPath, PureWindowsPath):
        path = flavour(text)
        if path.is_absolute() or (flavour is PureWindowsPath and path.drive):
            return path.name
    return text


def year_ranges(years: list[int]) -> str:
    """[1995, 1996, 1997, 2000] → "1995–1997, 2000"."""
    years = sorted(set(int(y) for y in years))
    parts: list[str] = []
    start = prev = None
    for year in years + [None]:
        if start is None:
            start = prev = year
        elif year is not None and year == prev + 1:
            prev = year
        else:
            parts.append(f"{start}" if start == prev else f"{start}–{prev}")
            start = prev = year
    return ", ".join(parts)


def _files(paths: tuple[Path, ...]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _query(con: duckdb.DuckDBPyConnection, paths: tuple[Path, ...], sql: str, columns: list[str]) -> pd.DataFrame:
    """`sql` with {t} replaced by the union of `paths`; an empty frame with `columns` when no file is stored."""
    if not paths:
        return pd.DataFrame(columns=columns)
    return con.sql(sql.format(t=f"read_parquet({_files(paths)}, union_by_name = true)")).df()[columns]


def summarize_stored_tables(con: duckdb.DuckDBPyConnection, tables: StoredTables, cif_fob_method: str = "",
                            weights: pd.DataFrame | None = None) -> ExtractFacts:
    used_columns = ["source_file", "layout", "retrieved_at", "sha256", "years", "rows_used"]
    used = _query(con, tables.comtrade_clean + tables.comtrade_totals, """
        SELECT source_file, min(source_layout) AS layout, max(retrieved_at) AS retrieved_at,
               min(source_sha256) AS sha256, list(DISTINCT year) AS years, count(*) AS rows_used
        FROM {t} GROUP BY source_file""", used_columns)
    rejected = _query(con, tables.comtrade_rejects, """
        SELECT source_file, min(source_layout) AS layout, max(retrieved_at) AS retrieved_at,
               min(source_sha256) AS sha256, list(DISTINCT TRY_CAST(refYear AS INTEGER)) AS years, count(*) AS rows_rejected
        FROM {t} GROUP BY source_file""", ["source_file", "layout", "retrieved_at", "sha256", "years", "rows_rejected"])
    comtrade = _combine(used, rejected).assign(family="Comtrade", release="")
    tiva_used = _query(con, tables.tiva_clean, """
        SELECT source_file, min(edition) AS release, min(source_sha256) AS sha256, list(DISTINCT year) AS years,
               count(*) AS rows_used FROM {t} GROUP BY source_file""", ["source_file", "release", "sha256", "years", "rows_used"])
    tiva_rejected = _query(con, tables.tiva_rejects, """
        SELECT source_file, min(edition) AS release, min(source_sha256) AS sha256, list(DISTINCT TRY_CAST(year AS INTEGER)) AS years,
               count(*) AS rows_rejected FROM {t} GROUP BY source_file""",
                           ["source_file", "release", "sha256", "years", "rows_rejected"])
    tiva = _combine(tiva_used, tiva_rejected).assign(family="OECD TiVA", layout="", retrieved_at=None)
    sources = pd.concat([comtrade, tiva], ignore_index=True)
    sources = sources[["family", "source_file", "layout", "release", "retrieved_at", "sha256", "years", "rows_used", "rows_rejected"]]

    rejects = pd.concat([
        _query(con, tables.comtrade_rejects, """SELECT 'Comtrade' AS family, reason, count(*) AS rows,
               sum(coalesce(primaryValue, 0)) AS value_usd FROM {t} GROUP BY reason""", ["family", "reason", "rows", "value_usd"]),
        _query(con, tables.tiva_rejects, """SELECT 'OECD TiVA' AS family, reason, count(*) AS rows, NULL::DOUBLE AS value_usd
               FROM {t} GROUP BY reason""", ["family", "reason", "rows", "value_usd"]),
    # Reasons with equal counts by name: without that tie-break their order changed from run to run.
    ], ignore_index=True).sort_values(["family", "rows", "reason"], ascending=[True, False, True], ignore_index=True)
    headings = _query(con, tables.comtrade_clean, """SELECT left(cmd_code, 4) AS heading, count(*) AS rows, sum(value_usd) AS value_usd
        FROM {t} GROUP BY heading ORDER BY value_usd DESC""", ["heading", "rows", "value_usd"])
    reconciliation = _query(con, tables.trade_flows, """SELECT recon_rule, count(*) AS rows, sum(value_usd) AS value_usd
        FROM {t} GROUP BY recon_rule ORDER BY value_usd DESC""", ["recon_rule", "rows", "value_usd"])
    vintages = _query(con, tables.trade_flows, """SELECT hs_vintage, count(*) AS rows, sum(value_usd) AS value_usd,
        count(*) FILTER (WHERE conversion_weight < 1) AS split_rows FROM {t} GROUP BY hs_vintage ORDER BY hs_vintage""",
                      ["hs_vintage", "rows", "value_usd", "split_rows"])
    cif_fob = _query(con, tables.trade_flows, """SELECT count(cif_fob_ratio) AS rows_with_ratio, median(cif_fob_ratio) AS median_ratio,
        min(cif_fob_ratio) AS min_ratio, max(cif_fob_ratio) AS max_ratio FROM {t}""",
                     ["rows_with_ratio", "median_ratio", "min_ratio", "max_ratio"])
    by_method = pd.DataFrame(columns=["weight_method", "links"])
    if weights is not None and "weight_method" in weights.columns:
        by_method = weights.groupby("weight_method").size().rename("links").reset_index()
    return ExtractFacts(sources=sources, rejects=rejects, hs_headings=headings, reconciliation=reconciliation,
                        hs_vintages=vintages, cif_fob=cif_fob, cif_fob_method=cif_fob_method, weights_by_method=by_method)


def _as_list(value: object) -> list:
    """A DuckDB list cell (list or array) as a list; a missing cell (the file is on one side only) as []."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    return list(value)


def _combine(used: pd.DataFrame, rejected: pd.DataFrame) -> pd.DataFrame:
    """One row per source file: rows used and rejected, the years either holds, the descriptive fields of either."""
    both = used.merge(rejected, on="source_file", how="outer", suffixes=("", "_rejected"))
    for column in ["layout", "retrieved_at", "sha256", "release"]:
        if f"{column}_rejected" in both.columns:
            both[column] = both[column].where(both[column].notna(), both[f"{column}_rejected"]) if column in both.columns \
                else both[f"{column}_rejected"]
    both["years"] = [year_ranges([y for y in _as_list(a) + _as_list(b) if y is not None and not pd.isna(y)])
                     for a, b in zip(both["years"], both["years_rejected"])]
    for column in ["rows_used", "rows_rejected"]:
        both[column] = both[column].fillna(0).astype("int64")
    both["source_file"] = both["source_file"].map(relative_name)
    keep = [c for c in ["source_file", "layout", "retrieved_at", "sha256", "release", "years", "rows_used", "rows_rejected"]
            if c in both.columns]
    return both[keep].sort_values("source_file", ignore_index=True)
