"""Report asset: an HTML + Markdown report with charts and findings generated from the indicator panel."""


from pathlib import Path

import dagster as dg
import pandas as pd

from assets.duckdb_session import duckdb_session
from assets.step_failures import one_line_failure
from assets.tables import ParquetPartitions
from assets.transforms.indicators import catalog_for_scope, load_indicator_catalog
from assets.transforms.reference import load_regions, load_scope, scope_summary
from pipelines.resources import RvcConfig

GROUP = "reports"


def report_data_label(rvc: RvcConfig) -> str:
    """What the numbers are, without the extracts folder's local path (a report is shared and cited; a
    machine's folder means nothing there and can leak a user name). The sources table names the files."""
    if rvc.uses_sample:
        return rvc.data_label()
    return "extracts in the RVC_EXTRACTS folder (files listed under Data and coverage)"


@dg.asset(
    group_name=GROUP,
    kinds={"matplotlib", "html", "markdown"},
    automation_condition=dg.AutomationCondition.eager(),
)
@one_line_failure
def rvc_report(
    context: dg.AssetExecutionContext,
    rvc: RvcConfig,
    indicator_panel: pd.DataFrame,
    hs_conversion_weights: pd.DataFrame,
    comtrade_clean: ParquetPartitions,
    comtrade_totals: ParquetPartitions,
    comtrade_rejects: ParquetPartitions,
    tiva_clean: ParquetPartitions,
    tiva_rejects: ParquetPartitions,
    trade_flows: ParquetPartitions,
) -> dg.MaterializeResult:
    """HTML and Markdown report on the value chain of the active scope file (RVC_SCOPE): findings, charts with their CSVs, data and coverage."""
    destination = Path(rvc.warehouse_dir) / "rvc_report"
    # Imported here, not at the top: matplotlib costs ~0.5 s, and every process that loads the code location
    # (webserver, daemon, each run and step) would pay it although only this asset draws.
    from assets.transforms.report import StoredTables, report_scope, summarize_stored_tables, write_report

    stored = StoredTables(
        comtrade_clean=comtrade_clean.paths, comtrade_totals=comtrade_totals.paths, comtrade_rejects=comtrade_rejects.paths,
        tiva_clean=tiva_clean.paths, tiva_rejects=tiva_rejects.paths, trade_flows=trade_flows.paths,
    )
    with duckdb_session(rvc.spill_dir, rvc.duckdb_memory_limit) as con:
        facts = summarize_stored_tables(con, stored, rvc.cif_fob_method, hs_conversion_weights)
    # The scope the assets used (rvc.scope_path), with the bundled regions table the regions asset also reads.
    scope = load_scope(rvc.scope_path or None)
    written = write_report(indicator_panel, catalog_for_scope(load_indicator_catalog(), scope), destination, data_label=report_data_label(rvc), facts=facts,
                           scope=report_scope(scope_summary(scope, load_regions())))
    if rvc.warehouse_url:  # warehouse in object storage: written locally above, published beside the assets
        from pipelines.object_storage import publish_folder, warehouse_root

        publish_folder(destination, warehouse_root(rvc.warehouse_url) / "rvc_report", last=("index.html", "report.md"))
        destination = warehouse_root(rvc.warehouse_url) / "rvc_report"
    metadata: dict[str, object] = {
        "index_html": dg.MetadataValue.path(str(destination / "index.html")),
        "report_md": dg.MetadataValue.path(str(destination / "report.md")),
        "findings": dg.MetadataValue.md("\n".join(f"- {f}" for f in written.findings)),
        "charts": len(written.charts),
        "source_files": len(facts.sources),
        "scope": f"{scope.name} ({scope.source})",
    }
    # Dagster renders Markdown images only from URLs; PNGs are embedded as data URIs so the UI shows them.
    for name, data_uri in written.chart_data_uris.items():
        metadata[f"chart_{name}"] = dg.MetadataValue.md(f"![{name}]({data_uri})")
    return dg.MaterializeResult(metadata=metadata)
