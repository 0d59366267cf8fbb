"""`rvc` command: run the pipeline without the Dagster UI or daemon.

    rvc demo                      reference tables, every year in the extracts, the panel and the report
                                  (all years cleaned, then the HS conversion weights, then each year harmonized)
    rvc backfill --from 1995 --to 2023 [--no-summary]
    rvc years                     rows per year in the extracts, unreadable and skipped files, the partition years
    rvc export ASSET --out FILE   an asset, filtered, to .csv/.parquet/.dta/.xlsx with a data dictionary beside it
    rvc views                     rebuild warehouse/rvc.duckdb (one SQL view per asset)

Runs go through the Dagster instance in DAGSTER_HOME when it is set (so `make ui` shows their history),
otherwise through a temporary instance.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import dagster as dg

from pipelines import export
from pipelines.fingerprints import record_fingerprint, recorded_fingerprints, year_fingerprints
from pipelines.settings import Settings, load_settings


def _instance() -> dg.DagsterInstance:
    import os

    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def _run(defs: dg.Definitions, job_name: str, instance: dg.DagsterInstance, partition_key: str | None = None) -> None:
    job = defs.resolve_job_def(job_name)
    # The console gets warnings and errors only; every event is still in the instance (and the UI).
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    result = job.execute_in_process(instance=instance, partition_key=partition_key, run_config=quiet, raise_on_error=False)
    if not result.success:
        failed = [event for event in result.all_events if event.is_failure]
        detail = "\n".join(str(event.message) for event in failed[:5])
        where = f" partition {partition_key}" if partition_key else ""
        raise SystemExit(f"rvc: {job_name}{where} failed:\n{detail}")


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


def _outputs_present(settings: Settings, year: str) -> bool:
    from pipelines.jobs import YEARLY_ASSET_KEYS

    return all((settings.warehouse_dir / key / f"{year}.parquet").is_file() for key in YEARLY_ASSET_KEYS)


def _file_digest(path) -> str | None:
    from assets.sources.extract_inventory import file_sha256

    return file_sha256(path) if path.is_file() else None


def backfill(first: int, last: int, summary: bool = True, force: bool = False, out=sys.stdout) -> list[str]:
    """Materialize the reference tables, clean every year first..last, build the HS conversion weights from all
    cleaned years, harmonize every year, then the panel and report.

    The weights pool H0 trade over every cleaned year, so no year is harmonized before all years of the range
    are cleaned. A year whose inputs and code are unchanged since its last successful run, and whose outputs
    are all there, is skipped with a message (`force=True` re-runs it) — unless the weights changed, which
    re-harmonizes every year of the range (years outside it are named: they keep the old weights until
    re-run). Returns the years that were cleaned.
    """
    from pipelines.definitions import defs

    settings = load_settings()
    keys = [key for key in available_years() if first <= int(key) <= last]
    if not keys:
        raise SystemExit(f"rvc: no partitions between {first} and {last}; the extracts give {available_years()[:1]}…{available_years()[-1:]}")
    instance = _instance()
    started = time.monotonic()
    fingerprints = year_fingerprints(settings)
    recorded = recorded_fingerprints(settings)
    print("reference tables …", file=out, flush=True)
    _run(defs, "reference_tables", instance)
    ran = []
    for key in keys:
        current = fingerprints.get(int(key), "")
        if not force and recorded.get(key) == current and _outputs_present(settings, key):
            print(f"year {key}: inputs and code unchanged since its last run — skipped (--force re-runs)", file=out, flush=True)
            continue
        reason = "first run" if key not in recorded else ("outputs missing" if recorded.get(key) == current else "inputs or code changed")
        print(f"year {key} ({'forced' if force else reason}): cleaning …", file=out, flush=True)
        _run(defs, "yearly_cleaning", instance, partition_key=key)
        ran.append(key)

    weights_path = settings.warehouse_dir / "hs_conversion_weights.parquet"
    before = _file_digest(weights_path)
    if ran or force or before is None:
        print("HS conversion weights (H0 trade pooled over every cleaned year) …", file=out, flush=True)
        _run(defs, "conversion_weights", instance)
    weights_changed = _file_digest(weights_path) != before
    harmonize = keys if weights_changed else ran
    for key in harmonize:
        note = "" if key in ran else " (HS conversion weights changed)"
        print(f"year {key}: harmonization and indicators{note} …", file=out, flush=True)
        _run(defs, "yearly_harmonization", instance, partition_key=key)
        record_fingerprint(settings, key, fingerprints.get(int(key), ""))
    if weights_changed and before is not None:
        outside = sorted(
            p.stem for p in (settings.warehouse_dir / "trade_flows").glob("*.parquet") if p.stem.isdigit() and p.stem not in keys
        )
        if outside:
            print(f"note: the HS conversion weights changed; years {', '.join(outside)} outside --from/--to still use the old "
                  "weights (re-run them with --force)", file=out, flush=True)
    summary_present = (settings.warehouse_dir / "indicator_panel.parquet").is_file() and (
        settings.warehouse_dir / "rvc_report" / "index.html"
    ).is_file()
    if summary and (harmonize or force or not summary_present):
        print("indicator panel and report …", file=out, flush=True)
        _run(defs, "panel_and_report", instance)
    elif summary:
        print("indicator panel and report: no year re-ran — kept as they are", file=out, flush=True)
    print(f"done in {time.monotonic() - started:.0f} s", file=out, flush=True)
    return ran


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rvc", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run every asset for every year in the extracts")
    demo.add_argument("--force", action="store_true", help="re-run years whose inputs and code are unchanged")
    fill = commands.add_parser("backfill", help="run a range of years")
    fill.add_argument("--from", dest="first", type=int, required=True)
    fill.add_argument("--to", dest="last", type=int, required=True)
    fill.add_argument("--no-summary", action="store_true", help="skip the panel and report")
    fill.add_argument("--force", action="store_true", help="re-run years whose inputs and code are unchanged")
    commands.add_parser("years", help="print rows per year, unreadable and skipped files, and the partition years")
    export.add_parsers(commands)
    args = parser.parse_args(argv)
    if args.command in ("export", "views"):  # read the warehouse only: the extracts folder does not matter
        return export.run(args)

    settings = load_settings()
    problem = extracts_problem(settings)
    if problem is not None:
        print(f"rvc: {problem}", file=sys.stderr)
        if args.command != "years" or not settings.extracts_dir.is_dir():
            return 2
    if args.command == "years":
        describe_extracts(settings)
        print("partition years: " + " ".join(available_years()))  # last line, last word: the latest year
        return 0
    if args.command == "demo":
        keys = available_years()
        backfill(int(keys[0]), int(keys[-1]), force=args.force)
    else:
        backfill(args.first, args.last, summary=not args.no_summary, force=args.force)
    print(f"warehouse: {settings.warehouse_dir}")
    print(f"report:    {settings.warehouse_dir / 'rvc_report' / 'index.html'}")
    export.refresh_after_run(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
