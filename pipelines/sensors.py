"""Sensors that launch only what changed.

- `extract_files_sensor`: new or changed extract files (by content hash; the cursor keeps the hashes seen)
  launch the yearly chain for exactly the years those files contain, as the extract manifest says.
- `comtrade_release_sensor` (API mode): the Comtrade availability look-up launches only the years with a
  reporter released or revised since the last evaluation.
"""


import json
from pathlib import Path

import dagster as dg

from assets.sources.extract_inventory import changed_files, decode_cursor, encode_cursor
from assets.sources.manifest import SKIPPED, Manifest, load_manifest
from pipelines.jobs import SUMMARY_SELECTION, yearly_job
from pipelines.partitions import yearly_partitions
from pipelines.resources import RvcConfig


def plan_runs_for_changes(manifest: Manifest, previous: dict[str, str], partition_keys: list[str]):
    """(run requests by year, warning messages, new cursor state) for the files changed since `previous`.

    The state is {extract file: sha256} of every Comtrade and TiVA file in the manifest; a changed file's
    years are the manifest's. An unreadable changed file launches nothing and is named in a warning (its
    new content hash is remembered, so fixing the file launches its years).
    """
    entries = {entry.source_file: entry for entry in manifest.entries if entry.family != SKIPPED}
    current = {source_file: entry.sha256 for source_file, entry in sorted(entries.items())}
    files_by_year: dict[int, list[str]] = {}
    warnings = []
    for relative in changed_files(current, previous):
        entry = entries[relative]
        if entry.error is not None:
            warnings.append(f"{relative}: unreadable, no run launched — {entry.error}")
        for year, rows in entry.rows_by_year.items():
            if rows > 0 and entry.error is None:
                files_by_year.setdefault(year, []).append(relative)
    known = set(partition_keys)
    requests = []
    for year in sorted(files_by_year):
        key = str(year)
        if key not in known:
            warnings.append(f"year {year} ({', '.join(files_by_year[year])}): not a partition yet — reload the code location to add it")
            continue
        digest = "-".join(current[f][:12] for f in sorted(files_by_year[year]))
        requests.append(
            dg.RunRequest(
                partition_key=key,
                run_key=f"files-{key}-{digest}",
                tags={"rvc/trigger": "extract_files", "rvc/files": json.dumps(sorted(files_by_year[year]))[:1000]},
            )
        )
    return requests, warnings, current


@dg.sensor(job=yearly_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED)
def extract_files_sensor(context: dg.SensorEvaluationContext, rvc: RvcConfig):
    """New or changed files in RVC_EXTRACTS launch the yearly chain for the years they contain."""
    manifest = load_manifest(Path(rvc.extracts_dir), rvc.cache_dir)
    requests, warnings, state = plan_runs_for_changes(manifest, decode_cursor(context.cursor), yearly_partitions.get_partition_keys())
    for message in warnings:
        context.log.warning(f"extract_files_sensor: {message}")
    context.update_cursor(encode_cursor(state))
    if not requests:
        return dg.SkipReason("no new or changed extract files" + (f"; {len(warnings)} warning(s) in the log" if warnings else ""))
    return requests


@dg.sensor(job=yearly_job, minimum_interval_seconds=24 * 3600, default_status=dg.DefaultSensorStatus.STOPPED)
def comtrade_release_sensor(context: dg.SensorEvaluationContext, rvc: RvcConfig):
    """API mode: reporter-years released or revised since the last look-up launch their year's chain."""
    from assets.sources.api_selection import comtrade_area_codes, split_codes
    from assets.transforms.reference.country_codes import api_country_table
    from assets.sources.comtrade_api import ComtradeClient, released_since

    if rvc.comtrade_source != "api":
        return dg.SkipReason("Comtrade source is 'files'; set RVC_COMTRADE_SOURCE=api to watch releases")
    client = ComtradeClient(base_url=rvc.comtrade_api_base_url, api_key=rvc.comtrade_api_key, extracts_dir=Path(rvc.extracts_dir))
    keys = yearly_partitions.get_partition_keys()
    # Reporters as configured (ISO3 or M49), as the codes valid today (year None).
    reporters = comtrade_area_codes(
        split_codes(rvc.comtrade_api_reporters), api_country_table(rvc.reference_path), None,
        rvc.api_setting_name("comtrade_api_reporters"),
    )
    availability = client.data_availability(reporters=reporters, years=[int(k) for k in keys])
    last_seen = {tuple(k.split("|")): v for k, v in json.loads(context.cursor or "{}").items()}
    last_seen = {(reporter, int(year)): date for (reporter, year), date in last_seen.items()}
    fresh = released_since(availability, last_seen)
    state = {f"{r.reporter_code}|{r.year}": str(r.release_date) for r in availability.itertuples(index=False)}
    context.update_cursor(json.dumps(dict(sorted(state.items()))))
    years = sorted({str(year) for _, year in fresh if str(year) in set(keys)})
    if not years:
        return dg.SkipReason("no reporter-year released or revised since the last look-up")
    return [
        dg.RunRequest(partition_key=y, run_key=f"release-{y}-{max(state.values())}", tags={"rvc/trigger": "comtrade_release"})
        for y in years
    ]


# Declarative automation for the panel and report: they follow any yearly refresh (eager conditions on the assets).
summary_automation = dg.AutomationConditionSensorDefinition(
    "summary_automation",
    target=SUMMARY_SELECTION,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Rebuild indicator_panel and rvc_report after yearly partitions are refreshed.",
)
