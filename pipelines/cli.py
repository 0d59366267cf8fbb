"""`rvc` command: run the pipeline without the Dagster UI or daemon.

    rvc demo [--force]            reference tables, every year in the extracts, the panel and the report
                                  (all years cleaned, then the HS conversion weights, then each year harmonized)
    rvc backfill --from 1995 --to 2023 [--no-summary] [--force]
                                  every year of the range that can run; a failed year does not stop the others;
                                  ends with a table of years done, skipped and failed (exit status 1 if any failed)
    rvc years                     rows per year in the extracts, unreadable and skipped files, the partition years
    rvc export ASSET --out FILE   an asset, filtered, to .csv/.parquet/.dta/.xlsx with a data dictionary beside it
    rvc views                     rebuild warehouse/rvc.duckdb (one SQL view per asset)
    rvc ui [--port 3000]          the Dagster UI and daemon (dg dev); prints the asset lineage's address once the
                                  UI is up and opens it in a browser in a desktop session

Runs are recorded in the Dagster instance in DAGSTER_HOME, or in the project's .dagster when DAGSTER_HOME is
not set, so `make ui` (dg dev) shows their history either way.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pipelines import export, ui
from pipelines.settings import Settings, load_settings


def available_years() -> list[str]:
    from pipelines.partitions import yearly_partitions

    return yearly_partitions.get_partition_keys()


def describe_extracts(settings: Settings, out=sys.stdout) -> None:
    """Rows per year and family, then unreadable and skipped files with their reasons (from the manifest)."""
    from assets.sources.manifest import COMTRADE, TIVA, load_manifest

    manifest = load_manifest(settings.extracts_dir, settings.cache_dir)
    print(f"extracts: {settings.extracts_dir}", file=out)
    print(f"{'year':<6}{'comtrade rows':>15}{'tiva rows':>12}  files", file=out)
    for year in manifest.years():
        rows = {family: sum(e.rows_by_year[year] for e in manifest.files_for_year(year, family)) for family in (COMTRADE, TIVA)}
        files = len(manifest.files_for_year(year, COMTRADE)) + len(manifest.files_for_year(year, TIVA))
        print(f"{year:<6}{rows[COMTRADE]:>15,}{rows[TIVA]:>12,}  {files}", file=out)
    from pipelines.partitions import partition_year_range

    try:
        first_year, last_year = partition_year_range(settings)
    except ValueError as error:  # every extract year before RVC_START_YEAR: say so, list the files below
        print(f"partition years: none ({error})", file=out)
        first_year, last_year = settings.start_year, settings.start_year - 1
    outside = manifest.rows_outside_partitions(first_year, last_year)
    if outside:
        print(f"rows outside the partition years {first_year}..{last_year} (no partition reads them as their year):", file=out)
        for item in outside:
            fate = (
                f"quarantined as {item.why} in {item.quarantined_in}'s comtrade_rejects"
                if item.quarantined_in is not None
                else "counted only (no run reads them)"
            )
            print(f"  {item.source_file}: {item.rows:,} {item.family} row(s) of {item.year} ({item.why}) — {fate}", file=out)
    for title, entries in (
        ("unreadable files (their years are missing from the partitions until fixed)", manifest.unreadable()),
        ("skipped files (no reader reads them)", manifest.skipped()),
    ):
        if entries:
            print(f"{title}:", file=out)
            for entry in entries:
                print(f"  {entry.source_file}: {entry.error}", file=out)


def extracts_problem(settings: Settings) -> str | None:
    """One line saying why the extracts folder cannot feed a run (missing, or no Comtrade/TiVA file), else None."""
    from assets.sources.manifest import load_manifest

    folder = settings.extracts_dir
    if not folder.is_dir():
        return f"RVC_EXTRACTS={folder}: no such folder; set RVC_EXTRACTS to the folder of your Comtrade and TiVA downloads"
    manifest = load_manifest(folder, settings.cache_dir)
    if not any(entry.family != "skipped" for entry in manifest.entries):
        skipped = len(manifest.skipped())
        return (
            f"RVC_EXTRACTS={folder}: no Comtrade or TiVA file in it ({skipped} other file(s) skipped; "
            "`rvc years` says why each was skipped)"
        )
    return None


def backfill(first: int, last: int, summary: bool = True, force: bool = False, out=sys.stdout) -> int:
    """Run the years first..last (pipelines/backfill.py) and print the summary; the exit status: 1 if any failed."""
    from pipelines.backfill import backfill as run_backfill
    from pipelines.definitions import defs
    from pipelines.instance import open_instance

    if first > last:
        print(f"rvc: --from {first} is after --to {last}; give the earlier year first (e.g. --from {last} --to {first})", file=sys.stderr)
        return 2
    years = available_years()
    keys = [key for key in years if first <= int(key) <= last]
    if not keys:
        print(f"rvc: no partition years between {first} and {last}; the extracts give {years[0]} to {years[-1]} "
              "(`rvc years` lists them)", file=sys.stderr)
        return 2
    outcome = run_backfill(defs, open_instance(), load_settings(), keys, summary=summary, force=force, out=out)
    return 1 if outcome.failed else 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    keys = available_years()
    status = backfill(int(keys[0]), int(keys[-1]), force=args.force)
    if status != 2:  # 2: nothing ran (a bad range)
        _print_where(settings)
    return status


def _backfill(args: argparse.Namespace, settings: Settings) -> int:
    status = backfill(args.first, args.last, summary=not args.no_summary, force=args.force)
    if status != 2:  # 2: nothing ran (a bad range)
        _print_where(settings)
    return status


def _years(args: argparse.Namespace, settings: Settings) -> int:
    describe_extracts(settings)
    print("partition years: " + " ".join(available_years()))  # last line, last word: the latest year
    return 0


def _print_where(settings: Settings) -> None:
    print(f"warehouse: {settings.warehouse_dir}")
    print(f"report:    {settings.warehouse_dir / 'rvc_report' / 'index.html'}")
    if export.stored_assets(settings.warehouse_dir):  # nothing stored yet (a first run that failed early): no views
        export.refresh_after_run(settings)  # warehouse/rvc.duckdb: one SQL view per asset


# One function per subcommand: it registers its arguments and names its handler.
def add_demo(commands) -> None:
    demo = commands.add_parser("demo", help="run every asset for every year in the extracts, then the panel and report")
    demo.add_argument("--force", action="store_true", help="re-run years whose inputs and code are unchanged since their last run")
    demo.set_defaults(handler=_demo)


def add_backfill(commands) -> None:
    fill = commands.add_parser("backfill", help="run a range of years; failed years are listed at the end (exit status 1)")
    fill.add_argument("--from", dest="first", type=int, required=True, metavar="YEAR",
                      help="first year of the range (a partition year, see `rvc years`)")
    fill.add_argument("--to", dest="last", type=int, required=True, metavar="YEAR",
                      help="last year of the range, included (not before --from)")
    fill.add_argument("--no-summary", action="store_true", help="skip the indicator panel and report")
    fill.add_argument("--force", action="store_true", help="re-run years whose inputs and code are unchanged since their last run")
    fill.set_defaults(handler=_backfill)


def add_years(commands) -> None:
    years = commands.add_parser("years", help="print rows per year, unreadable and skipped files, and the partition years")
    years.set_defaults(handler=_years)


# export.add_parsers: `export` and `views`; ui.add_parser: `ui`
SUBCOMMANDS = (add_demo, add_backfill, add_years, export.add_parsers, ui.add_parser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rvc", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for add in SUBCOMMANDS:
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("export", "views"):  # read the warehouse only: the extracts folder does not matter
        return export.run(args)
    try:
        settings = load_settings()
    except ValueError as error:  # a bad setting: one line naming the variable, no traceback
        print(f"rvc: {error}", file=sys.stderr)
        return 2
    problem = extracts_problem(settings)
    if problem is not None:
        print(f"rvc: {problem}", file=sys.stderr)
        # `years` lists what it skipped; the UI shows the lineage and past runs without extracts.
        if args.command not in ("years", "ui") or (args.command == "years" and not settings.extracts_dir.is_dir()):
            return 2
    return args.handler(args, settings)


if __name__ == "__main__":
    sys.exit(main())
