"""Every setting is read once, by pipelines/settings.py, and reaches the place that uses it; a bad value is one
clear line naming its variable."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import build_defs, build_resources
from pipelines.instance import instance_home
from pipelines.partitions import partition_year_range
from pipelines.schedules import monthly_refresh
from pipelines.settings import PROJECT_DAGSTER_HOME, load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]  # tests must not import conftest: there are several
SAMPLE_EXTRACTS = REPO_ROOT / "sample" / "extracts"


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"RVC_EXTRACTS": str(SAMPLE_EXTRACTS), "RVC_WAREHOUSE": str(tmp_path / "wh"), **values}


def test_end_year_sets_the_last_partition_year(tmp_path: Path) -> None:
    latest = partition_year_range(load_settings(_env(tmp_path, RVC_START_YEAR="2010")))
    assert latest[0] == 2010 and latest[1] > 2012  # the sample's latest year, not the override below
    assert partition_year_range(load_settings(_env(tmp_path, RVC_START_YEAR="2010", RVC_END_YEAR="2012"))) == (2010, 2012)


def test_end_year_before_start_year_names_both_settings(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="RVC_START_YEAR / RVC_END_YEAR"):
        partition_year_range(load_settings(_env(tmp_path, RVC_START_YEAR="2010", RVC_END_YEAR="2009")))


def _monthly_keys(scheduled: datetime) -> list[str]:
    context = dg.build_schedule_context(scheduled_execution_time=scheduled, repository_def=build_defs().get_repository_def())
    return [request.partition_key for request in monthly_refresh.evaluate_tick(context).run_requests]


def test_refresh_years_reaches_the_monthly_schedule_at_each_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    scheduled = datetime(2024, 3, 1, 3, tzinfo=timezone.utc)  # latest publishable year: 2023
    monkeypatch.delenv("RVC_REFRESH_YEARS", raising=False)
    assert _monthly_keys(scheduled) == ["2021", "2022", "2023"]  # the default, 3
    monkeypatch.setenv("RVC_REFRESH_YEARS", "1")
    assert _monthly_keys(scheduled) == ["2023"]
    monkeypatch.setenv("RVC_REFRESH_YEARS", "0")
    assert _monthly_keys(scheduled) == []


def test_cif_fob_method_reaches_the_resource(tmp_path: Path) -> None:
    assert build_resources(load_settings(_env(tmp_path)))["rvc"].cif_fob_method == "flat"
    chosen = load_settings(_env(tmp_path, RVC_CIF_FOB_METHOD="chapter_median"))
    assert build_resources(chosen)["rvc"].cif_fob_method == "chapter_median"


def test_api_key_is_passed_as_an_environment_reference_never_as_its_value(tmp_path: Path) -> None:
    with_key = load_settings(_env(tmp_path, COMTRADE_API_KEY="s3cret-key"))
    key = build_resources(with_key)["rvc"].comtrade_api_key
    assert isinstance(key, dg.EnvVar) and key.env_var_name == "COMTRADE_API_KEY"
    assert "s3cret-key" not in repr(with_key)
    for blank in ("", "  \t"):  # an empty line in a .env file is no key
        assert build_resources(load_settings(_env(tmp_path, COMTRADE_API_KEY=blank)))["rvc"].comtrade_api_key is None


def test_dagster_home_is_the_rvc_commands_instance(tmp_path: Path) -> None:
    assert instance_home({"DAGSTER_HOME": str(tmp_path / "home")}) == tmp_path / "home"
    assert instance_home({}) == PROJECT_DAGSTER_HOME


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("RVC_DUCKDB_MEMORY_LIMIT", "512MB", "duckdb_memory_limit", "512MB"),
        ("RVC_REFERENCE", "ref", "reference_dir", "{tmp}/ref"),
        ("RVC_EXTRACTS", "ex", "extracts_dir", "{tmp}/ex"),
        ("RVC_WAREHOUSE", "wh2", "warehouse_dir", "{tmp}/wh2"),
        ("RVC_SCOPE", "scopes/x.yaml", "scope_path", "{tmp}/scopes/x.yaml"),
        ("RVC_COMTRADE_SOURCE", "API", "comtrade_source", "api"),
    ],
)
def test_each_setting_reaches_the_rvc_resource(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)  # relative folders resolve against the working folder
    rvc = build_resources(load_settings({variable: value}))["rvc"]
    assert str(getattr(rvc, field)) == expected.format(tmp=tmp_path.resolve())


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RVC_START_YEAR", "nineteen"),
        ("RVC_END_YEAR", "2017-12"),
        ("RVC_REFRESH_YEARS", "three"),
        ("RVC_REFRESH_YEARS", "-1"),
        ("RVC_CIF_FOB_METHOD", "median"),
        ("RVC_COMTRADE_SOURCE", "ftp"),
    ],
)
def test_a_bad_value_is_one_line_naming_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        load_settings({variable: value})
    message = str(excinfo.value)
    assert message.startswith(f"{variable} must be") and repr(value) in message and "\n" not in message


# Modules that may read the environment: settings.py (the one place); checks/scope.py is being moved onto
# Settings by another change (issue #14) and reads no variable today.
# pipelines/ui.py hands the whole process environment on to `dg dev` and asks whether a desktop is there
# (DISPLAY / WAYLAND_DISPLAY): neither is a project setting.
READS_ENVIRONMENT_ALLOWED = {"pipelines/settings.py", "pipelines/ui.py"}
ENVIRONMENT_READ = re.compile(r"os\.environ|getenv\(")


def test_no_module_but_settings_reads_the_environment() -> None:
    offenders = []
    for package in ("assets", "checks", "pipelines", "deploy"):
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            relative = path.relative_to(REPO_ROOT).as_posix()
            if relative not in READS_ENVIRONMENT_ALLOWED and ENVIRONMENT_READ.search(path.read_text(encoding="utf-8")):
                offenders.append(relative)
    assert offenders == [], f"these modules read os.environ; read the setting through pipelines.settings.Settings: {offenders}"


def test_the_rvc_command_prints_a_bad_setting_as_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from pipelines.cli import main

    monkeypatch.setenv("RVC_REFRESH_YEARS", "three")
    assert main(["years"]) == 2
    error = capsys.readouterr().err
    assert error == "rvc: RVC_REFRESH_YEARS must be a whole number of years such as 3 (0 turns it off), got 'three'\n"


def test_settings_and_the_shared_pipeline_modules_keep_stage_code_out_of_every_assets_version() -> None:
    """Every asset imports the settings, resources, IO manager and validation: what they import is hashed into
    every asset's code version, so an edit to the reconciliation or the report must not reach them."""
    from pipelines.code_versions import module_closure

    shared = module_closure(["pipelines.settings", "pipelines.resources", "pipelines.io_managers", "pipelines.validation"])
    assert "assets.vocabulary" in shared  # CIF_FOB_METHODS: the settings check the choice
    assert not {m for m in shared if m.startswith(("assets.transforms.harmonization.reconciliation", "assets.transforms.report"))}
