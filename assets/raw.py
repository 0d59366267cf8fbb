"""Raw assets: every extract row of a year in one canonical table, with provenance.

Comtrade rows come from files anywhere below RVC_EXTRACTS (any supported layout) or, in API mode, from the
Comtrade API, whose responses are saved into that folder first and then read like any other file; TiVA
rows likewise from files or, with RVC_TIVA_SOURCE=api, from the OECD SDMX API saved under tiva/api/. Which
files hold which year is the manifest's answer; each file is converted once to a Parquet cache, and the
year is stacked from the caches by DuckDB, so a 10–15 M-row year never passes through pandas.
"""


import hashlib
import time
import warnings
from collections.abc import Iterable
from pathlib import Path

import dagster as dg
import pandas as pd

from assets.duckdb_session import duckdb_session, sql_string
from assets.errors import RvcInputError
from assets.metadata import md_table
from assets.sources.comtrade_readers import FileLocation, cache_comtrade_file, read_query_sidecar
from assets.sources.comtrade_year import CachedExtract, write_raw_year
from assets.sources.manifest import Manifest, ManifestEntry, load_manifest, tiva_root_of
from assets.sources.tiva_layouts import read_tiva_files
from assets.step_failures import one_line_failure
from assets.tables import ParquetTable
from assets.transforms.reference import load_scope
from checks.raw import comtrade_raw_schema
from checks.tiva import tiva_raw_schema
from pipelines.io_managers import staged_output_path
from pipelines.partitions import first_and_last_year, yearly_partitions
from pipelines.resources import RvcConfig
from pipelines.settings import SAMPLE_REFERENCE
from pipelines.validation import require_valid_table, validated_output, validated_table_output

GROUP = "raw"


def input_data_version(files: Iterable[tuple[str, str]], code_version: str | None = None) -> dg.DataVersion:
    """The partition's data version: the content hashes of the files it read (source_file, sha256), and the
    asset's code version (pipelines/code_versions.py).

    Re-reading unchanged files with unchanged code gives the same version, so the UI does not mark
    downstream assets stale; a changed file or a change to the code this asset runs does.
    """
    digest = hashlib.sha256((code_version or "").encode())
    for source_file, sha256 in sorted(files):
        digest.update(f"{source_file}\0{sha256}\n".encode())
    return dg.DataVersion(digest.hexdigest()[:32])


def output_with_version(value: object, files: Iterable[tuple[str, str]], context: dg.AssetExecutionContext) -> dg.Output:
    # Output(data_version=...) is marked beta in Dagster 1.13; the warning on every partition says nothing
    # a user can act on, so it is silenced here (and only here).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Parameter `data_version`")
        code_version = context.assets_def.code_versions_by_key.get(context.asset_key)
        return dg.Output(value, data_version=input_data_version(files, code_version))


def unreadable_files_text(entries: list[ManifestEntry]) -> str:
    return "; ".join(f"{entry.source_file}: {(entry.error or '').rstrip('.')}" for entry in entries)


def rows_outside_partitions(manifest: Manifest, family: str, first_year: int, last_year: int) -> pd.DataFrame:
    """The `family` rows no partition reads (implausible years, years outside the partition range), by file
    and year, for every partition's metadata: rows that would otherwise vanish without a trace."""
    found = [r for r in manifest.rows_outside_partitions(first_year, last_year) if r.family == family]
    return pd.DataFrame(
        [(r.source_file, r.year, r.rows, r.why, "" if r.quarantined_in is None else str(r.quarantined_in)) for r in found],
        columns=["source_file", "year", "rows", "why", "quarantined_in_partition"],
    )


def _country_table(rvc: RvcConfig) -> pd.DataFrame:
    from assets.transforms.reference import api_country_table

    return api_country_table(rvc.reference_path)


def _require_download_folder(rvc: RvcConfig, switch: str) -> None:
    """API mode saves into RVC_EXTRACTS; without it that would be the bundled sample folder of the repository."""
    if rvc.uses_sample:
        raise RvcInputError(
            f"{switch}=api downloads into RVC_EXTRACTS, which is not set (the pipeline is reading the bundled sample "
            f"at {rvc.extracts_dir}). What to do: set RVC_EXTRACTS to the folder the downloads should go to, then run again."
        )


_COMTRADE_API_FIELDS = {
    "reporters": "comtrade_api_reporters", "partners": "comtrade_api_partners",
    "commodities": "comtrade_api_commodities", "commodity_detail": "comtrade_api_commodity_detail",
    "flows": "comtrade_api_flows",
}


def _download_comtrade_year(rvc: RvcConfig, year: int, context: dg.AssetExecutionContext) -> None:
    """API mode: save the year's responses into the extracts folder (skipped when already saved), a log line per query."""
    from assets.sources.api_selection import comtrade_selection, load_known_hs6
    from assets.transforms.reference import scope_commodities, with_scope_defaults
    from assets.sources.comtrade_api import ComtradeClient

    _require_download_folder(rvc, "RVC_COMTRADE_SOURCE")
    known_hs6, hs6_sources = (
        load_known_hs6(rvc.reference_path) if rvc.comtrade_api_commodity_detail == "hs6" else (set(), [])
    )
    # No commodities given: the scope's HS prefixes (RVC_SCOPE, the file the assets read) and TOTAL.
    scope = load_scope(rvc.scope_path or None)
    texts, names = with_scope_defaults(
        {key: getattr(rvc, name) for key, name in _COMTRADE_API_FIELDS.items()},
        {key: rvc.api_setting_name(name) for key, name in _COMTRADE_API_FIELDS.items()},
        "commodities", scope_commodities(scope), scope, "product groups' HS codes",
    )
    selection = comtrade_selection(texts, names, year, _country_table(rvc), known_hs6, hs6_sources)
    if selection.expanded and rvc.reference_path.resolve() == SAMPLE_REFERENCE.resolve():
        context.log.warning(
            "Comtrade API: the HS6 lines within the headings come from the bundled SYNTHETIC sample reference "
            f"({hs6_sources}), which lists only some codes; set RVC_REFERENCE to the UN tables to ask for every line"
        )
    headings = ", ".join(f"{heading} → {n} HS6 lines" for heading, n in selection.expanded.items())
    context.log.info(
        f"Comtrade API {year}: {len(selection.reporters)} reporter(s), partners "
        f"{'all' if selection.partners is None else len(selection.partners)}, {len(selection.commodities)} commodity "
        f"code(s){' (' + headings + ')' if headings else ''}, flows {','.join(selection.flows)}"
    )
    client = ComtradeClient(base_url=rvc.comtrade_api_base_url, api_key=rvc.comtrade_api_key, extracts_dir=Path(rvc.extracts_dir))
    saved = client.fetch_annual(
        selection.reporters, [year], selection.partners, selection.commodities, selection.flows,
        progress=lambda done: context.log.info(done.line(selection.area_labels)),
    )
    context.log.info(f"Comtrade API: {len(saved)} response file(s) for {year} saved under {client.api_dir}")


_TIVA_API_FIELDS = {
    "countries": "tiva_api_countries", "counterparts": "tiva_api_counterparts",
    "measures": "tiva_api_measures", "industries": "tiva_api_industries",
}


def _download_tiva_year(rvc: RvcConfig, year: int, context: dg.AssetExecutionContext) -> str:
    """API mode: save the year's TiVA observations as SDMX-CSV under tiva/api/ (skipped when saved); what happened, in words."""
    from assets.sources.api_selection import tiva_selection
    from assets.transforms.reference import scope_tiva_activities, with_scope_defaults
    from assets.sources.oecd_sdmx import TIVA_MAINLV_DATAFLOW, OecdSdmxClient, count_sdmx_rows, tiva_key

    _require_download_folder(rvc, "RVC_TIVA_SOURCE")
    # No activities given: the scope's TiVA activities (RVC_SCOPE, the file the assets read).
    scope = load_scope(rvc.scope_path or None)
    texts, names = with_scope_defaults(
        {key: getattr(rvc, name) for key, name in _TIVA_API_FIELDS.items()},
        {key: rvc.api_setting_name(name) for key, name in _TIVA_API_FIELDS.items()},
        "industries", scope_tiva_activities(scope), scope, "TiVA activities",
    )
    selection = tiva_selection(texts, names, _country_table(rvc))
    key = tiva_key(selection.measures, selection.countries, selection.industries, selection.counterparts)
    client = OecdSdmxClient(rvc.tiva_api_base_url, extracts_dir=Path(rvc.extracts_dir))
    started = time.monotonic()
    fetched = client.fetch_tiva_file(TIVA_MAINLV_DATAFLOW, key, year, year, no_records_ok=True)
    what = f"OECD TiVA query 1 of 1: year {year}, {selection.describe()}"
    if fetched is None:
        outcome = f"{what} — no records for {year} (the OECD answered 'no records found'); nothing saved, asked again next run"
        context.log.warning(outcome)
        return outcome
    how = "saved earlier, not asked again" if fetched.from_cache else f"downloaded to {fetched.path.name}"
    outcome = f"{what} — {count_sdmx_rows(fetched.path):,} rows in {time.monotonic() - started:.1f} s ({how})"
    context.log.info(outcome)
    return outcome


@dg.asset(
    group_name=GROUP,
    kinds={"duckdb", "parquet"},
    partitions_def=yearly_partitions,
    **validated_table_output(comtrade_raw_schema, "ComtradeRaw"),
)
@one_line_failure
def comtrade_raw(context: dg.AssetExecutionContext, rvc: RvcConfig) -> dg.Output:
    """Every Comtrade extract row whose refYear is the partition year, under Comtrade+ names, with source file, sha256 and row.

    Also the rows of implausible years (2099 in a file holding this year) of the files whose earliest year this
    is, so that cleaning quarantines them as `year_implausible` (docs/reject_reasons.md): they belong to no
    partition. The metadata counts every row no partition reads, by file and year."""
    year = int(context.partition_key)
    if rvc.comtrade_source == "api":
        _download_comtrade_year(rvc, year, context)
    elif rvc.comtrade_source != "files":
        raise ValueError(f"comtrade_source must be 'files' or 'api', got {rvc.comtrade_source!r}")
    manifest = load_manifest(Path(rvc.extracts_dir), rvc.cache_dir)
    bad = manifest.bad_files_for_year(year, "comtrade")
    years_unknown = [entry for entry in bad if not entry.rows_by_year]
    holding_year = [entry for entry in bad if entry.rows_by_year]
    if holding_year:
        raise RvcInputError(
            f"comtrade_raw {year}: {len(holding_year)} extract file(s) holding {year} cannot be read — "
            f"{unreadable_files_text(holding_year)}. Fix or remove them (see `rvc years`) and run {year} again.",
            file=", ".join(entry.source_file for entry in holding_year),
        )
    if years_unknown:
        context.log.warning(f"unreadable extract files whose years are unknown (not in {year}'s data): {unreadable_files_text(years_unknown)}")
    entries = manifest.files_for_year(year, "comtrade")
    first_year, last_year = first_and_last_year(context.assets_def.partitions_def)
    quarantining = {e.source_file for e in entries if manifest.quarantine_year(e, first_year, last_year) == year}
    extracts = []
    for entry in entries:
        location = FileLocation(entry.source_file, *read_query_sidecar(entry.path))
        cache = cache_comtrade_file(entry.path, entry.sha256, rvc.cache_dir, location)
        extracts.append(CachedExtract(
            cache, location.source_file, location.api_query, location.retrieved_at, located=True,
            years=tuple(sorted(entry.rows_by_year)), quarantine_implausible=entry.source_file in quarantining,
        ))
    outside = rows_outside_partitions(manifest, "comtrade", first_year, last_year)
    staged = staged_output_path(rvc.warehouse_dir, "comtrade_raw", context.partition_key)
    try:
        with duckdb_session(rvc.spill_dir, rvc.duckdb_memory_limit) as con:
            rows = write_raw_year(con, extracts, year, staged)
            table = require_valid_table(con, comtrade_raw_schema, "ComtradeRaw", ParquetTable(staged, rows))
            value = con.execute(f"SELECT coalesce(sum(primaryValue), 0) FROM read_parquet({sql_string(staged)})").fetchone()[0]
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    files = pd.DataFrame(
        [(e.source_file, e.layout, e.sha256, e.rows_by_year.get(year, 0)) for e in entries],
        columns=["source_file", "source_layout", "source_sha256", "rows_in_year"],
    )
    table = table.with_metadata(
        source_files=len(entries),
        files=md_table(files),
        primary_value_usd=float(value),
        unreadable_files_years_unknown=unreadable_files_text(years_unknown) or "none",
        rows_quarantined_implausible_year=int(outside.loc[outside["quarantined_in_partition"] == str(year), "rows"].sum()),
        rows_outside_partitions=int(outside["rows"].sum()),
        rows_outside_partitions_by_file=md_table(outside) if len(outside) else "none",
    )
    return output_with_version(table, [(e.source_file, e.sha256) for e in entries], context)


@dg.asset(
    group_name=GROUP,
    kinds={"pandas", "parquet"},
    partitions_def=yearly_partitions,
    **validated_output(tiva_raw_schema, "TivaRaw"),
)
@one_line_failure
def tiva_raw(context: dg.AssetExecutionContext, rvc: RvcConfig) -> dg.Output:
    """Every OECD TiVA observation of the partition year from the TiVA files below RVC_EXTRACTS (in API mode downloaded there first), with its edition and provenance."""
    year = int(context.partition_key)
    api_outcome = None
    if rvc.tiva_source == "api":
        api_outcome = _download_tiva_year(rvc, year, context)
    elif rvc.tiva_source != "files":
        raise ValueError(f"tiva_source must be 'files' or 'api', got {rvc.tiva_source!r}")
    extracts_dir = Path(rvc.extracts_dir)
    manifest = load_manifest(extracts_dir, rvc.cache_dir)
    bad = manifest.bad_files_for_year(year, "tiva")
    holding_year = [entry for entry in bad if entry.rows_by_year]
    years_unknown = [entry for entry in bad if not entry.rows_by_year]
    if holding_year:
        raise RvcInputError(
            f"tiva_raw {year}: {len(holding_year)} TiVA file(s) holding {year} cannot be read — "
            f"{unreadable_files_text(holding_year)}. Fix or remove them (see `rvc years`) and run {year} again.",
            file=", ".join(entry.source_file for entry in holding_year),
        )
    if years_unknown:
        context.log.warning(f"unreadable TiVA files whose years are unknown (not in {year}'s data): {unreadable_files_text(years_unknown)}")
    entries = manifest.files_for_year(year, "tiva")
    rows, files = read_tiva_files([(e.path, tiva_root_of(e.source_file, extracts_dir)) for e in entries], years=[year])
    files = files[files["rows_kept"] > 0]
    outside = rows_outside_partitions(manifest, "tiva", *first_and_last_year(context.assets_def.partitions_def))
    context.add_output_metadata({
        "source_files": len(files),
        "files": md_table(files),
        # A TiVA file that cannot be read at all (UTF-16 without byte-order mark, a row without year, a cut
        # gzip) has no known years: every partition names it, so it is never a silent skip.
        "unreadable_files_years_unknown": unreadable_files_text(years_unknown) or "none",
        "rows_outside_partitions": int(outside["rows"].sum()),
        "rows_outside_partitions_by_file": md_table(outside) if len(outside) else "none",
        **({"api_query": api_outcome} if api_outcome else {}),
    })
    return output_with_version(rows, zip(files["source_file"], files["source_sha256"]), context)
