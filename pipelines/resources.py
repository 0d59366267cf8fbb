"""Dagster resources: where extracts and reference tables are, and how Comtrade data is obtained (files or API)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from assets.vocabulary import DEFAULT_CIF_FOB_METHOD
from pipelines.settings import (
    API_SETTINGS,
    DEFAULT_DUCKDB_MEMORY_LIMIT,
    ApiSettings,
    comtrade_extracts_dir,
    extracts_cache_dir,
    spill_dir,
    tiva_extracts_dir,
)

_API_DEFAULTS = ApiSettings()


class RvcConfig(dg.ConfigurableResource):
    """Folders and source switches. Values come from `pipelines.settings.Settings` (pipelines/definitions.py
    builds this resource from it); the folders below them are named by the functions of pipelines.settings."""

    extracts_dir: str
    reference_dir: str
    warehouse_dir: str
    uses_sample: bool = False
    # API mode (pipelines.settings.ApiSettings: environment or RVC_API_CONFIG file). "files": read
    # RVC_EXTRACTS; "api": download into it first, then read. Codes are comma-separated ISO3 or M49.
    comtrade_source: str = _API_DEFAULTS.comtrade_source
    comtrade_api_base_url: str = _API_DEFAULTS.comtrade_api_base_url
    comtrade_api_key: str | None = None  # set from the COMTRADE_API_KEY env var, never logged or stored
    comtrade_api_reporters: str = _API_DEFAULTS.comtrade_api_reporters
    comtrade_api_partners: str = _API_DEFAULTS.comtrade_api_partners
    comtrade_api_commodities: str = _API_DEFAULTS.comtrade_api_commodities
    comtrade_api_commodity_detail: str = _API_DEFAULTS.comtrade_api_commodity_detail
    comtrade_api_flows: str = _API_DEFAULTS.comtrade_api_flows
    tiva_source: str = _API_DEFAULTS.tiva_source
    tiva_api_base_url: str = _API_DEFAULTS.tiva_api_base_url
    tiva_api_countries: str = _API_DEFAULTS.tiva_api_countries
    tiva_api_measures: str = _API_DEFAULTS.tiva_api_measures
    tiva_api_industries: str = _API_DEFAULTS.tiva_api_industries
    tiva_api_counterparts: str = _API_DEFAULTS.tiva_api_counterparts
    api_setting_origins: dict[str, str] = {}  # field -> where its value came from, for error messages
    cif_fob_method: str = DEFAULT_CIF_FOB_METHOD  # or "chapter_median" (assets/transforms/harmonization/reconciliation.py)
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT  # per heavy step; DuckDB spills the rest under <warehouse>/.spill
    scope_path: str = ""  # the study's scope file (RVC_SCOPE); empty = scopes/automotive.yaml

    def api_setting_name(self, field: str) -> str:
        """The setting behind an API field, for messages: where its value came from, or how to set it."""
        if field in self.api_setting_origins:
            return self.api_setting_origins[field]
        setting = next(s for s in API_SETTINGS if s.field == field)
        return f"{setting.env} (or `{setting.key}` in [{setting.section}] of the RVC_API_CONFIG file)"
    # The object-store URL of the warehouse (RVC_WAREHOUSE=s3://…), where files an asset writes itself (the
    # report) are published; warehouse_dir is then the local working folder. None for a local warehouse.
    warehouse_url: str | None = None

    @property
    def comtrade_dir(self) -> Path:
        return comtrade_extracts_dir(Path(self.extracts_dir))

    @property
    def tiva_dir(self) -> Path:
        return tiva_extracts_dir(Path(self.extracts_dir))

    @property
    def cache_dir(self) -> Path:
        return extracts_cache_dir(Path(self.warehouse_dir))

    @property
    def spill_dir(self) -> Path:
        return spill_dir(Path(self.warehouse_dir))

    @property
    def reference_path(self) -> Path:
        return Path(self.reference_dir)

    def data_label(self) -> str:
        """What the numbers are, stamped on every chart and report."""
        return "SYNTHETIC sample data (sample/), not official statistics" if self.uses_sample else f"extracts in {self.extracts_dir}"
