"""Each asset's code version derives from the code it runs: editing the report leaves the yearly assets (and
so the years of `rvc backfill`) fresh; editing a cleaning module makes them stale.

The edits are made on a copy of the code (assets, pipelines, checks) in a temp folder; versions are computed
from that copy's files, as the code location computes them from the repository's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from pipelines.code_versions import code_version_of, function_dependencies, module_closure
from pipelines.definitions import defs
from pipelines.fingerprints import year_fingerprints
from pipelines.jobs import YEARLY_CODE_SELECTION, code_versions
from pipelines.settings import load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]  # tests must not import conftest: there are several


def _functions() -> dict[str, tuple[str, str]]:
    """{asset key: (module, function)} of every asset in the code location."""
    found = {}
    for assets_def in defs.resolve_asset_graph().assets_defs:
        function = assets_def.node_def.compute_fn.decorated_fn
        for key in assets_def.keys:
            found[key.to_user_string()] = (function.__module__, function.__name__)
    return found


YEARLY = sorted(code_versions(defs, YEARLY_CODE_SELECTION))


@pytest.fixture
def code_copy(tmp_path: Path) -> Path:
    for package in ("assets", "pipelines", "checks"):
        shutil.copytree(REPO_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _versions(root: Path) -> dict[str, str]:
    return {key: code_version_of(module, function, root) for key, (module, function) in _functions().items()}


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def test_the_code_location_carries_the_derived_versions() -> None:
    graph = defs.resolve_asset_graph()
    for key, (module, function) in _functions().items():
        assert graph.get(dg.AssetKey.from_user_string(key)).code_version == code_version_of(module, function)
    # Outputs of one multi-asset share their function, so their version; different functions differ.
    versions = code_versions(defs)
    assert versions["comtrade_clean"] == versions["comtrade_rejects"] == versions["comtrade_totals"]
    assert len({versions["comtrade_raw"], versions["tiva_raw"], versions["comtrade_clean"], versions["trade_flows"]}) == 4


def test_a_change_to_the_report_code_leaves_every_yearly_asset_fresh(code_copy: Path) -> None:
    before = _versions(code_copy)
    _append(code_copy / "assets" / "transforms" / "report" / "charts.py", "\n\ndef a_new_chart():\n    return 'bars'\n")
    after = _versions(code_copy)
    assert after["rvc_report"] != before["rvc_report"]
    assert {key: after[key] for key in YEARLY} == {key: before[key] for key in YEARLY}
    assert after["indicator_panel"] == before["indicator_panel"]


def test_a_change_to_a_cleaning_module_makes_the_cleaning_assets_stale(code_copy: Path) -> None:
    before = _versions(code_copy)
    _append(code_copy / "assets" / "transforms" / "cleaning" / "row_rules.py", "\n\nA_NEW_RULE = 'x'\n")
    after = _versions(code_copy)
    changed = {key for key in before if after[key] != before[key]}
    assert {"comtrade_clean", "comtrade_rejects", "comtrade_totals"} <= changed
    # Nothing upstream of cleaning, and not the report: they do not run that code.
    assert not changed & {"comtrade_raw", "tiva_raw", "country_codes", "hs_concordance", "rvc_report"}


def test_comments_and_formatting_in_an_asset_function_do_not_change_its_version(code_copy: Path) -> None:
    before = _versions(code_copy)
    module = code_copy / "assets" / "reports.py"
    module.write_text(module.read_text().replace("    destination = Path(", "    # a comment only\n    destination = Path(", 1))
    assert _versions(code_copy)["rvc_report"] == before["rvc_report"]
    module.write_text(module.read_text().replace('"rvc_report"', '"rvc_report_v2"', 1))
    assert _versions(code_copy)["rvc_report"] != before["rvc_report"]


def test_a_bundled_data_file_counts_for_the_modules_that_name_it(code_copy: Path) -> None:
    before = _versions(code_copy)
    _append(code_copy / "assets" / "data" / "regions.csv", "")  # unchanged bytes: same version
    assert _versions(code_copy) == before
    with (code_copy / "assets" / "data" / "indicator_catalog.csv").open("a") as catalog:
        catalog.write("\n")
    after = _versions(code_copy)
    assert after["trade_indicators"] != before["trade_indicators"]
    assert after["comtrade_raw"] == before["comtrade_raw"]


def test_an_asset_function_reaches_its_transform_modules() -> None:
    _, modules = function_dependencies("assets.cleaning", "comtrade_cleaning")
    closure = module_closure(modules)
    assert "assets.transforms.cleaning.comtrade_cleaning" in closure and "assets.transforms.cleaning.row_rules" in closure
    assert "assets.transforms.cleaning.tiva_cleaning" not in closure  # the other asset of the same module
    assert not any(name.startswith("assets.transforms.report") for name in closure)


def test_a_stage_package_exposes_names_without_tying_its_assets_together(code_copy: Path) -> None:
    """assets/cleaning.py takes clean_comtrade_files and clean_tiva from one package (assets.transforms.cleaning);
    each asset's version still follows only the module that defines what it calls, plus the package's own file."""
    before = _versions(code_copy)
    _append(code_copy / "assets" / "transforms" / "cleaning" / "tiva_cleaning.py", "\n\nA_NEW_TIVA_RULE = 'x'\n")
    after = _versions(code_copy)
    assert after["tiva_clean"] != before["tiva_clean"]
    assert after["comtrade_clean"] == before["comtrade_clean"]
    # The package's __init__ runs whenever a module below it is imported: editing it changes both.
    _append(code_copy / "assets" / "transforms" / "cleaning" / "__init__.py", "\n# a note\n")
    again = _versions(code_copy)
    assert again["tiva_clean"] != after["tiva_clean"] and again["comtrade_clean"] != after["comtrade_clean"]


def test_the_backfill_fingerprint_follows_the_yearly_code_versions(tmp_path: Path) -> None:
    settings = load_settings({"RVC_WAREHOUSE": str(tmp_path / "wh")})
    versions = code_versions(defs)
    same = year_fingerprints(settings, versions)
    assert same == year_fingerprints(settings, dict(versions))
    changed = year_fingerprints(settings, versions | {"comtrade_clean": "0" * 16})
    assert same.keys() == changed.keys() and all(same[y] != changed[y] for y in same)
    assert "rvc_report" not in versions and "indicator_panel" not in versions


def test_another_scope_file_changes_every_years_fingerprint(tmp_path: Path) -> None:
    versions = code_versions(defs)
    automotive = year_fingerprints(load_settings({"RVC_WAREHOUSE": str(tmp_path / "wh")}), versions)
    electronics = year_fingerprints(
        load_settings({"RVC_WAREHOUSE": str(tmp_path / "wh"), "RVC_SCOPE": str(REPO_ROOT / "scopes" / "electronics.yaml")}), versions
    )
    assert automotive.keys() == electronics.keys() and all(automotive[y] != electronics[y] for y in automotive)
