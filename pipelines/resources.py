"""Dagster resources: where extracts and reference tables are, and how Comtrade data is obtained (files or API)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.settings import extracts_cache_dir

# Japan, the ten ASEAN members and the comparison economies of the first use case (ISO3 → M49).
DEFAULT_API_REPORTERS = "392,96,116,360,418,458,104,608,702,764,704,156,410,842,276"
# Automotive headings and engines, plus TOTAL for RCA denominators.
DEFAULT_API_COMMODITIES = "8702,8703,8704,8706,8707,8708,840733,840734,840820,TOTAL"


class RvcConfig(dg.ConfigurableResource):
    """Folders and source switches. Defaults come from RVC_* environment variables (pipelines.settings)."""

    extracts_dir: str
    reference_dir: str
    warehouse_dir: str
    uses_sample: bool = False
    comtrade_source: str = "files"  # "files": read RVC_EXTRACTS; "api": download into it first, then read
    comtrade_api_base_url: str = "https://comtradeapi.un.org"
    comtrade_api_key: str | None = None  # set from the COMTRADE_API_KEY env var, never logged or stored
    comtrade_api_reporters: str = DEFAULT_API_REPORTERS
    comtrade_api_commodities: str = DEFAULT_API_COMMODITIES
    cif_fob_method: str = "flat"  # or "chapter_median" (assets/transforms/reconciliation.py)
    duckdb_memory_limit: str = "2GB"  # per heavy step; DuckDB spills the rest under <warehouse>/.spill
    # The object-store URL of the warehouse (RVC_WAREHOUSE=s3://…), where files an asset writes itself (the
    # report) are published; warehouse_dir is then the local working folder. None for a local warehouse.
    warehouse_url: str | None = None

    @property
    def comtrade_dir(self) -> Path:
        return Path(self.extracts_dir) / "comtrade"

    @property
    def tiva_dir(self) -> Path:
        return Path(self.extracts_dir) / "tiva"

    @property
    def cache_dir(self) -> Path:
        return extracts_cache_dir(Path(self.warehouse_dir))

    @property
    def spill_dir(self) -> Path:
        return Path(self.warehouse_dir) / ".spill"

    @property
    def reference_path(self) -> Path:
        return Path(self.reference_dir)

    def data_label(self) -> str:
        """What the numbers are, stamped on every chart and report."""
        return "SYNTHETIC sample data (sample/), not official statistics" if self.uses_sample else f"extracts in {self.extracts_dir}"
