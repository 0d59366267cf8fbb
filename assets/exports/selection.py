"""An export request (asset, years, countries, partners, product groups, indicators, columns) as SQL over Parquet.

Belongs here: which column of each asset a filter applies to, checking every requested year, code and column
against what is stored (an unknown one is an error naming it and listing what exists: a typo never gives an
empty file), and the SELECT that reads only the requested years' files with the filters pushed into DuckDB.
Not here: writing files (writers.py), the command line (pipelines/export.py).

Product groups on `hs6` (trade_flows): the HS6 lines of a group are those the indicators use
(`assets.transforms.indicators.trade_base.group_membership` over the stored `product_groups` table and the
study's scope, RVC_SCOPE), so an export of `parts_accessories` flows adds up to the `parts_accessories` indicators.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from assets.duckdb_session import sql_string
from assets.exports.warehouse_views import StoredAsset, find_asset
from assets.transforms.indicators.trade_base import group_membership
from assets.transforms.reference.scope import Scope, load_scope

# The first column of each list that an asset has is the one the filter applies to.
YEAR_COLUMNS = ("year", "refYear")
COUNTRY_COLUMNS = ("country", "exporter", "reporter_iso", "reporterISO")
PARTNER_COLUMNS = ("partner", "importer", "partner_iso", "partnerISO")
GROUP_COLUMNS = ("product_group", "hs6")
INDICATOR_COLUMNS = ("indicator",)
MEMBERSHIP_VIEW = "__rvc_group_membership"
SHOWN_VALUES = 25  # how many existing values an error lists


class ExportRequestError(ValueError):
    """A request the warehouse cannot answer: unknown asset, column, year, code, or a filter the asset has no column for."""


@dataclass(frozen=True)
class ExportRequest:
    asset: str
    years: tuple[int, ...] = ()
    countries: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    product_groups: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()  # empty = every column

    def filters(self) -> dict[str, str]:
        """The filters set, as text for a file's description."""
        named = {"years": self.years, "countries": self.countries, "partners": self.partners,
                 "product_groups": self.product_groups, "indicators": self.indicators}
        return {name: ", ".join(map(str, values)) for name, values in named.items() if values}


@dataclass(frozen=True)
class Selection:
    """The checked request: the SQL giving its rows (in stored order), its columns and types, its row count."""

    request: ExportRequest
    asset: StoredAsset
    sql: str
    columns: tuple[str, ...]
    types: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    filter_columns: dict[str, str] = field(default_factory=dict)  # filter name → the column it applied to


def _quoted_list(values: Sequence[object]) -> str:
    return ", ".join(str(v) if isinstance(v, int) else sql_string(str(v)) for v in values)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _first_present(candidates: Sequence[str], columns: Sequence[str]) -> str | None:
    return next((c for c in candidates if c in columns), None)


def _shown(values: Sequence[object]) -> str:
    values = list(values)
    more = f" … ({len(values)} in all)" if len(values) > SHOWN_VALUES else ""
    return ", ".join(map(str, values[:SHOWN_VALUES])) + more


def _require_column(asset: str, filter_name: str, candidates: Sequence[str], columns: Sequence[str]) -> str:
    column = _first_present(candidates, columns)
    if column is None:
        raise ExportRequestError(
            f"{asset} has no column to filter {filter_name} on (looked for {', '.join(candidates)}); "
            f"drop --{filter_name.replace('_', '-')} or export an asset that has one (e.g. trade_flows, trade_indicators)"
        )
    return column


def _stored_years(asset: StoredAsset) -> list[int]:
    return sorted(int(p.stem) for p in asset.pattern.parent.glob("*.parquet") if p.stem.isdigit())


def _source_sql(asset: StoredAsset, years: Sequence[int]) -> str:
    """read_parquet of the asset's files; for a yearly asset only the requested years' files (the others are
    never opened)."""
    if not asset.partitioned:
        return f"read_parquet({sql_string(asset.pattern)})"
    stems = years or _stored_years(asset)
    files = ", ".join(sql_string(asset.pattern.parent / f"{year}.parquet") for year in stems)
    return f"read_parquet([{files}], union_by_name = true)"


def _describe(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    return {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}


def _check_years(con: duckdb.DuckDBPyConnection, asset: StoredAsset, years: Sequence[int], year_column: str) -> None:
    if asset.partitioned:
        stored = _stored_years(asset)
    else:
        stored = [int(r[0]) for r in con.execute(
            f"SELECT DISTINCT {_ident(year_column)} FROM {_source_sql(asset, [])} WHERE {_ident(year_column)} IS NOT NULL ORDER BY 1"
        ).fetchall()]
    missing = [y for y in years if y not in stored]
    if missing:
        span = f"{stored[0]}–{stored[-1]} ({len(stored)} years)" if stored else "none"
        raise ExportRequestError(
            f"{asset.name} has no year {', '.join(map(str, missing))}; stored years: {span}. "
            f"Pick years it has, or run `rvc backfill --from {min(missing)} --to {max(missing)}` if the extracts cover them"
        )


def _check_values(con, asset: str, source: str, column: str, wanted: Sequence[str], option: str) -> None:
    present = {r[0] for r in con.execute(
        f"SELECT DISTINCT {_ident(column)} FROM {source} WHERE {_ident(column)} IN ({_quoted_list(wanted)})"
    ).fetchall()}
    unknown = [v for v in wanted if v not in present]
    if unknown:
        existing = [r[0] for r in con.execute(
            f"SELECT DISTINCT {_ident(column)} FROM {source} WHERE {_ident(column)} IS NOT NULL ORDER BY 1"
        ).fetchall()]
        raise ExportRequestError(
            f"{asset}: no row has {column} = {', '.join(unknown)} (--{option}) in the years selected; "
            f"values there: {_shown(existing)}"
        )


def register_group_membership(con: duckdb.DuckDBPyConnection, warehouse: Path, scope: Scope) -> None:
    """The HS6 lines of each product group, as the indicators define them, as a DuckDB view."""
    groups_file = Path(warehouse) / "product_groups.parquet"
    if not groups_file.is_file():
        raise ExportRequestError(
            f"{groups_file} is missing: --product-groups on hs6 needs the product_groups table; run `rvc demo` or "
            "`dagster asset materialize -m pipelines.definitions --select product_groups`"
        )
    membership = group_membership(pd.read_parquet(groups_file), scope)
    con.register(MEMBERSHIP_VIEW, membership[["hs6", "product_group"]])


def _group_condition(con, warehouse: Path, scope: Scope, asset: str, source: str, column: str, groups: Sequence[str]) -> str:
    if column == "product_group":
        _check_values(con, asset, source, column, groups, "product-groups")
        return f"product_group IN ({_quoted_list(groups)})"
    unknown = [g for g in groups if g not in scope.line_groups]
    if unknown:
        raise ExportRequestError(
            f"{asset}: unknown product group {', '.join(unknown)} (--product-groups); groups of HS6 lines in the "
            f"{scope.name} scope: {', '.join(scope.line_groups)} (total_merchandise is every line: leave --product-groups out)"
        )
    register_group_membership(con, warehouse, scope)
    return f"hs6 IN (SELECT hs6 FROM {MEMBERSHIP_VIEW} WHERE product_group IN ({_quoted_list(groups)}))"


def select_rows(con: duckdb.DuckDBPyConnection, warehouse: Path, request: ExportRequest, scope: Scope | None = None) -> Selection:
    """Check `request` against the warehouse and return the SQL of its rows (stored order: years ascending,
    each file's rows as written). `scope` defines the product groups of HS6 lines (default: the default scope
    file). Raises ExportRequestError naming what is unknown and what exists."""
    try:
        asset = find_asset(warehouse, request.asset)
    except LookupError as error:
        raise ExportRequestError(str(error)) from None
    all_types = _describe(con, _source_sql(asset, []))
    available = list(all_types)
    years = sorted(set(request.years))
    conditions: list[str] = []
    used: dict[str, str] = {}
    if years:
        year_column = _require_column(asset.name, "years", YEAR_COLUMNS, available)
        _check_years(con, asset, years, year_column)
        used["years"] = year_column
        if not asset.partitioned:
            conditions.append(f"{_ident(year_column)} IN ({_quoted_list(years)})")
    source = _source_sql(asset, years)
    for name, candidates, values in (
        ("countries", COUNTRY_COLUMNS, [v.upper() for v in request.countries]),
        ("partners", PARTNER_COLUMNS, [v.upper() for v in request.partners]),
        ("indicators", INDICATOR_COLUMNS, list(request.indicators)),
    ):
        if values:
            column = _require_column(asset.name, name, candidates, available)
            _check_values(con, asset.name, source, column, values, name)
            conditions.append(f"{_ident(column)} IN ({_quoted_list(values)})")
            used[name] = column
    if request.product_groups:
        column = _require_column(asset.name, "product_groups", GROUP_COLUMNS, available)
        scope = scope or load_scope()
        conditions.append(_group_condition(con, warehouse, scope, asset.name, source, column, list(request.product_groups)))
        used["product_groups"] = column
    repeated = sorted({c for c in request.columns if request.columns.count(c) > 1})
    if repeated:
        raise ExportRequestError(f"--columns names {', '.join(repeated)} more than once; name each column once")
    unknown_columns = [c for c in request.columns if c not in available]
    if unknown_columns:
        raise ExportRequestError(
            f"{asset.name} has no column {', '.join(unknown_columns)} (--columns); its columns: {', '.join(available)}"
        )
    columns = tuple(request.columns) or tuple(available)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    sql = f"SELECT {', '.join(map(_ident, columns))} FROM {source}{where}"
    rows = int(con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0])
    return Selection(request, asset, sql, columns, {c: all_types[c] for c in columns}, rows, used)
