"""Raw assets: every extract row of a year in one canonical table, with provenance.

Comtrade rows come from files in RVC_EXTRACTS/comtrade (any supported layout) or, in API mode, from the
Comtrade API, whose responses are saved into that folder first and then read like any other file.
"""


import hashlib
import warnings

import dagster as dg
import pandas as pd

from assets.metadata import md_table
from assets.sources.comtrade_layouts import read_comtrade_extracts
from assets.sources.tiva_layouts import read_tiva_extracts
from checks.raw import comtrade_raw_schema
from checks.tiva import tiva_raw_schema
from pipelines.fingerprints import code_fingerprint
from pipelines.partitions import yearly_partitions
from pipelines.resources import RvcConfig
from pipelines.validation import validated_output

GROUP = "raw"


def input_data_version(files: pd.DataFrame) -> dg.DataVersion:
    """The partition's data version: the content hashes of the files it read, and the code.

    Re-reading unchanged files with unchanged code gives the same version, so the UI does not mark
    downstream assets stale; a changed file or code does.
    """
    digest = hashlib.sha256(code_fingerprint().encode())
    for source_file, sha256 in sorted(zip(files["source_file"], files["source_sha256"])):
        digest.update(f"{source_file}\0{sha256}\n".encode())
    return dg.DataVersion(digest.hexdigest()[:32])


def output_with_version(rows: pd.DataFrame, files: pd.DataFrame) -> dg.Output:
    # Output(data_version=...) is marked beta in Dagster 1.13; the warning on every partition says nothing
    # a user can act on, so it is silenced here (and only here).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Parameter `data_version`")
        return dg.Output(rows, data_version=input_data_version(files))


def _download_comtrade_year(rvc: RvcConfig, year: int, context: dg.AssetExecutionContext) -> None:
    """API mode: save the year's responses into the extracts folder (skipped when already saved)."""
    from assets.sources.comtrade_api import ComtradeClient

    client = ComtradeClient(base_url=rvc.comtrade_api_base_url, api_key=rvc.comtrade_api_key, extracts_dir=rvc.comtrade_dir.parent)
    saved = client.fetch_annual(
        reporters=rvc.comtrade_api_reporters.split(","),
        years=[year],
        commodities=rvc.comtrade_api_commodities.split(","),
    )
    context.log.info(f"Comtrade API: {len(saved)} response file(s) for {year} saved under {rvc.comtrade_dir / 'api'}")


@dg.asset(
    group_name=GROUP,
    kinds={"pandas", "parquet"},
    partitions_def=yearly_partitions,
    **validated_output(comtrade_raw_schema, "ComtradeRaw"),
    code_version="1",
)
def comtrade_raw(context: dg.AssetExecutionContext, rvc: RvcConfig) -> dg.Output:
    """Every Comtrade extract row whose refYear is the partition year, under Comtrade+ names, with source file, sha256 and row."""
    year = int(context.partition_key)
    if rvc.comtrade_source == "api":
        _download_comtrade_year(rvc, year, context)
    elif rvc.comtrade_source != "files":
        raise ValueError(f"comtrade_source must be 'files' or 'api', got {rvc.comtrade_source!r}")
    rows, files = read_comtrade_extracts(rvc.comtrade_dir, years=[year], cache_dir=rvc.cache_dir)
    files = files[files["rows_kept"] > 0]
    context.add_output_metadata(
        {
            "source_files": len(files),
            "files": md_table(files),
            "primary_value_usd": float(rows["primaryValue"].sum()),
        }
    )
    return output_with_version(rows, files)


@dg.asset(
    group_name=GROUP,
    kinds={"pandas", "parquet"},
    partitions_def=yearly_partitions,
    **validated_output(tiva_raw_schema, "TivaRaw"),
    code_version="1",
)
def tiva_raw(context: dg.AssetExecutionContext, rvc: RvcConfig) -> dg.Output:
    """Every OECD TiVA observation of the partition year from RVC_EXTRACTS/tiva, with its edition and provenance."""
    year = int(context.partition_key)
    rows, files = read_tiva_extracts(rvc.tiva_dir, years=[year])
    files = files[files["rows_kept"] > 0]
    context.add_output_metadata({"source_files": len(files), "files": md_table(files)})
    return output_with_version(rows, files)
