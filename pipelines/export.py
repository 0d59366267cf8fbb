"""`rvc export` and `rvc views`: take a table out of the warehouse, and (re)build `warehouse/rvc.duckdb`.

    rvc export trade_flows --years 2016 2017 --countries JPN --product-groups parts_accessories --out jp_parts.dta
    rvc export indicator_panel --indicators exports_usd import_share --out panel.xlsx
    rvc views        rebuild warehouse/rvc.duckdb (after moving the warehouse folder)

The column descriptions come from each asset's column schema as the code location declares it (the pandera
schemas in checks/); the rest of the work is in assets/exports/ (pure, no dagster).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assets.duckdb_session import duckdb_session
from assets.exports.dictionary import data_dictionary, indicator_dictionary
from assets.exports.selection import ExportRequest, ExportRequestError, select_rows
from assets.exports.warehouse_views import build_views_database, stored_assets
from assets.exports.writers import ExportLimitError, write_selection
from assets.transforms.reference.scope import load_scope
from pipelines.settings import Settings, load_settings


def schema_descriptions(asset: str) -> dict[str, str]:
    """Column → description from the asset's declared column schema (empty for an asset the code does not define)."""
    import dagster as dg

    from pipelines.column_schemas import COLUMN_SCHEMA_KEY
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    key = dg.AssetKey(asset)
    if key not in graph.get_all_asset_keys():
        return {}
    schema = graph.get(key).metadata.get(COLUMN_SCHEMA_KEY)
    return {c.name: c.description for c in (schema.columns if schema else []) if c.description}


def export_table(warehouse: Path, request: ExportRequest, out: Path, descriptions: dict[str, str] | None = None,
                 memory_limit: str | None = None, scope_path: Path | None = None) -> tuple[int, list[Path]]:
    """Write the rows `request` selects to `out` with the data dictionary beside it; (rows, files written).
    `scope_path`: the study's scope file, which defines the product groups of HS6 lines (default scope if None)."""
    descriptions = schema_descriptions(request.asset) if descriptions is None else descriptions
    with duckdb_session(memory_limit=memory_limit) as con:
        scope = load_scope(scope_path) if request.product_groups else None  # only product groups need it
        selection = select_rows(con, warehouse, request, scope)
        dictionary = data_dictionary(request.asset, selection.types, descriptions)
        names: list[str] = []
        if "indicator" in selection.columns:
            names = [r[0] for r in con.execute(f"SELECT DISTINCT indicator FROM ({selection.sql}) ORDER BY 1").fetchall()]
        written = write_selection(con, selection, out, dictionary, indicator_dictionary(names))
    return selection.rows, written


def _values(items: list[str] | None) -> tuple[str, ...]:
    """`--countries JPN,THA KOR` → (JPN, THA, KOR)."""
    return tuple(v.strip() for item in items or [] for v in item.split(",") if v.strip())


def parse_years(items: list[str] | None) -> tuple[int, ...]:
    """`2016 2017`, `2016,2017` or `2010-2015` → the years; anything else is an error saying what is expected."""
    years: list[int] = []
    for item in _values(items):
        first, _, last = item.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            raise ExportRequestError(f"--years {item!r}: expected years such as 2017, 2016,2017 or 2010-2015")
        low, high = int(first), int(last or first)
        if low > high:
            raise ExportRequestError(f"--years {item!r}: the range runs backwards; write {high}-{low}")
        years.extend(range(low, high + 1))
    return tuple(years)


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """The `export` and `views` subcommands (kept apart from the run commands in pipelines/cli.py)."""
    export = commands.add_parser(
        "export", help="write an asset, filtered, to .csv, .parquet, .dta or .xlsx with a data dictionary beside it",
        description="Write an asset of the warehouse to a file, filtered; <out>.dictionary.csv describes every column "
                    "(and <out>.indicators.csv every indicator). Lists may be space- or comma-separated.")
    export.add_argument("asset", help="asset name, e.g. trade_flows, trade_indicators, indicator_panel (`rvc views` lists them)")
    export.add_argument("--out", required=True, type=Path, metavar="FILE", help="output file; its suffix picks the format: .csv .parquet .dta .xlsx")
    export.add_argument("--years", nargs="+", metavar="YEAR", help="years or ranges: 2017, 2016,2017, 2010-2015")
    export.add_argument("--countries", nargs="+", metavar="ISO3", help="ISO3 codes of the country, exporter or reporter column")
    export.add_argument("--partners", nargs="+", metavar="CODE", help="ISO3 or region codes of the partner or importer column")
    export.add_argument("--product-groups", nargs="+", metavar="GROUP", help="product groups, e.g. parts_accessories passenger_cars all_automotive")
    export.add_argument("--indicators", nargs="+", metavar="NAME", help="indicator names from the indicator catalog")
    export.add_argument("--columns", nargs="+", metavar="COLUMN", help="columns to keep, in this order (default: all)")
    commands.add_parser("views", help="rebuild warehouse/rvc.duckdb: one SQL view per asset (after moving the warehouse)")


def run(args: argparse.Namespace, settings: Settings | None = None, out=None, err=None) -> int:
    """Run `rvc export` or `rvc views`; a request the warehouse cannot answer is one line on stderr, exit status 2."""
    settings = settings or load_settings()
    out, err = out or sys.stdout, err or sys.stderr  # resolved at call time (tests capture them)
    if args.command == "views":
        path = build_views_database(settings.warehouse_dir)
        names = [asset.name for asset in stored_assets(settings.warehouse_dir)]
        print(f"views: {path} (open with `duckdb {path}`, then e.g. `select * from trade_flows limit 5`)", file=out)
        print(f"  {', '.join(names) or 'none: the warehouse holds no asset yet (run `rvc demo`)'}", file=out)
        return 0
    try:
        request = ExportRequest(
            asset=args.asset, years=parse_years(args.years), countries=_values(args.countries),
            partners=_values(args.partners), product_groups=_values(args.product_groups),
            indicators=_values(args.indicators), columns=_values(args.columns),
        )
        rows, written = export_table(settings.warehouse_dir, request, args.out, memory_limit=settings.duckdb_memory_limit,
                                     scope_path=settings.scope_path)
    except (ExportRequestError, ExportLimitError, ValueError) as error:
        print(f"rvc export: {error}", file=err)
        return 2
    print(f"{args.asset}: {rows:,} rows → {written[0]}", file=out)
    for extra in written[1:]:
        print(f"  {extra}", file=out)
    return 0


def refresh_after_run(settings: Settings, out=None) -> None:
    """Rebuild warehouse/rvc.duckdb after `rvc demo`/`rvc backfill` (also when nothing re-ran: the folder may have moved)."""
    path = build_views_database(settings.warehouse_dir)
    print(f"sql:       {path} (`duckdb {path}`)", file=out or sys.stdout)

