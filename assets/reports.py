"""Report asset: an HTML + Markdown report with charts and findings generated from the indicator panel."""


from pathlib import Path

import dagster as dg
import pandas as pd

from assets.transforms.indicator_catalog import load_indicator_catalog
from pipelines.resources import RvcConfig

GROUP = "reports"


@dg.asset(
    group_name=GROUP,
    kinds={"matplotlib", "html", "markdown"},
    automation_condition=dg.AutomationCondition.eager(),
    code_version="1",
)
def rvc_report(context: dg.AssetExecutionContext, rvc: RvcConfig, indicator_panel: pd.DataFrame) -> dg.MaterializeResult:
    """HTML and Markdown report on the Japan–ASEAN automotive value chain: charts and findings generated from the panel."""
    destination = Path(rvc.warehouse_dir) / "rvc_report"
    # Imported here, not at the top: matplotlib costs ~0.5 s, and every process that loads the code location
    # (webserver, daemon, each run and step) would pay it although only this asset draws.
    from assets.transforms.report import write_report

    written = write_report(indicator_panel, load_indicator_catalog(), destination, data_label=rvc.data_label())
    if rvc.warehouse_url:  # warehouse in object storage: written locally above, published beside the assets
        from pipelines.object_storage import publish_folder, warehouse_root

        publish_folder(destination, warehouse_root(rvc.warehouse_url) / "rvc_report", last=("index.html", "report.md"))
        destination = warehouse_root(rvc.warehouse_url) / "rvc_report"
    metadata: dict[str, object] = {
        "index_html": dg.MetadataValue.path(str(destination / "index.html")),
        "report_md": dg.MetadataValue.path(str(destination / "report.md")),
        "findings": dg.MetadataValue.md("\n".join(f"- {f}" for f in written.findings)),
        "charts": len(written.charts),
    }
    # Dagster renders Markdown images only from URLs; PNGs are embedded as data URIs so the UI shows them.
    for name, data_uri in written.chart_data_uris.items():
        metadata[f"chart_{name}"] = dg.MetadataValue.md(f"![{name}]({data_uri})")
    return dg.MaterializeResult(metadata=metadata)
