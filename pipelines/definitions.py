"""The code location: `defs`, built by `build_defs` so tests can swap resources and folders.

Named in [tool.dg] (pyproject.toml), workspace.yaml and [tool.dagster], so `dg dev`, `dg check defs` and
`dg launch --assets comtrade_raw --partition 2017` all load it. Each asset's code version is derived here
from the code it runs (pipelines/code_versions.py), not written by hand in the asset modules.
"""

from __future__ import annotations

import dagster as dg

from assets import cleaning, harmonization, indicators, raw, reference, reports
from pipelines.code_versions import code_version_of
from pipelines.io_managers import ParquetIOManager
from pipelines.jobs import ALL_JOBS
from pipelines.resources import RvcConfig
from pipelines.schedules import monthly_refresh, yearly_refresh_march
from pipelines.sensors import comtrade_release_sensor, extract_files_sensor, summary_automation
from pipelines.settings import COMTRADE_API_KEY_ENV, Settings, load_settings

ASSET_MODULES = [reference, raw, cleaning, harmonization, indicators, reports]


def build_resources(settings: Settings) -> dict[str, object]:
    warehouse = str(settings.warehouse_dir)
    return {
        # A local warehouse: the folder. Object storage: the URL, with the local working folder for temporaries.
        "io_manager": ParquetIOManager(warehouse_dir=settings.warehouse_location, staging_dir=warehouse),
        "rvc": RvcConfig(
            extracts_dir=str(settings.extracts_dir),
            reference_dir=str(settings.reference_dir),
            warehouse_dir=warehouse,
            uses_sample=settings.uses_sample,
            **settings.api.resource_fields(),  # API mode: RVC_COMTRADE_* / RVC_TIVA_* or the RVC_API_CONFIG file
            # Read from the environment at run time; the value never appears in run config or the UI.
            comtrade_api_key=dg.EnvVar(COMTRADE_API_KEY_ENV) if settings.comtrade_api_key_set else None,
            cif_fob_method=settings.cif_fob_method,
            duckdb_memory_limit=settings.duckdb_memory_limit,
            scope_path=str(settings.scope_path),
            warehouse_url=settings.warehouse_url,
        ),
    }


def with_derived_code_version(assets_def: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """The asset with its code version derived from the code it runs (pipelines/code_versions.py).

    Every output of a multi-asset shares its function, so they share one version.
    """
    function = assets_def.node_def.compute_fn.decorated_fn
    version = code_version_of(function.__module__, function.__name__)
    return assets_def.map_asset_specs(lambda spec: spec.replace_attributes(code_version=version))


def build_defs(
    settings: Settings | None = None,
    resource_overrides: dict[str, object] | None = None,
    executor: dg.ExecutorDefinition = dg.in_process_executor,
) -> dg.Definitions:
    settings = settings or load_settings()
    resources = build_resources(settings) | (resource_overrides or {})
    asset_defs = [with_derived_code_version(a) for a in dg.load_assets_from_modules(ASSET_MODULES)]
    return dg.Definitions(
        assets=asset_defs,
        asset_checks=dg.load_asset_checks_from_modules(ASSET_MODULES),
        jobs=ALL_JOBS,
        schedules=[monthly_refresh, yearly_refresh_march],
        sensors=[extract_files_sensor, comtrade_release_sensor, summary_automation],
        resources=resources,
        # One process per run: each heavy step already uses every core through DuckDB under its own memory
        # limit, so running steps side by side would only add their memory bounds up; and a step subprocess
        # would load this code location a second time (about 1.5 s plus its memory) for every run and step.
        # A deployment that spreads steps over workers passes its own (deploy/cluster_definitions.py: Celery).
        executor=executor,
    )


defs = build_defs()
