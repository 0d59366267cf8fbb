"""The "Data and coverage" section from hand-made tables: sources with rows used and rejected, rejects by
reason and value, coverage per indicator, the world each year, and no absolute path."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from assets.transforms.report.coverage import data_and_coverage, indicator_coverage, world_composition, world_members
from assets.transforms.report.blocks import to_markdown
from assets.transforms.report.extract_facts import StoredTables, relative_name, summarize_stored_tables, year_ranges


def test_year_ranges_and_relative_names() -> None:
    assert year_ranges([2000, 1995, 1996, 1997]) == "1995–1997, 2000"
    assert year_ranges([]) == ""
    assert relative_name("comtrade/a.csv") == "comtrade/a.csv"
    assert relative_name("/home/someone/extracts/comtrade/a.csv") == "a.csv"
    assert relative_name("C:\\Users\\x\\b.csv") == "b.csv"


def write(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_parquet(path)
    return path


def test_sources_and_rejects_are_counted_from_the_stored_tables(tmp_path: Path) -> None:
    clean = write(tmp_path / "clean.parquet", pd.DataFrame({
        "year": [2016, 2017, 2017], "cmd_code": ["870323", "870899", "870899"], "value_usd": [10.0, 5.0, 7.0],
        "source_file": ["comtrade/a.csv", "comtrade/a.csv", "/abs/dir/b.csv"], "source_layout": ["legacy_full"] * 3,
        "retrieved_at": ["2026-01-02T00:00:00Z", None, None], "source_sha256": ["ab" * 32, "ab" * 32, "cd" * 32]}))
    rejects = write(tmp_path / "rejects.parquet", pd.DataFrame({
        "refYear": [2017, 2017, 2018], "primaryValue": [100.0, None, 50.0], "reason": ["value_negative", "value_missing", "value_negative"],
        "source_file": ["comtrade/a.csv", "comtrade/c.csv", "comtrade/c.csv"], "source_layout": ["legacy_full"] * 3,
        "retrieved_at": [None] * 3, "source_sha256": ["ab" * 32, "ef" * 32, "ef" * 32]}))
    facts = summarize_stored_tables(duckdb.connect(), StoredTables(comtrade_clean=(clean,), comtrade_rejects=(rejects,)))
    sources = facts.sources.set_index("source_file")
    assert sources.loc["comtrade/a.csv", ["rows_used", "rows_rejected", "years"]].tolist() == [2, 1, "2016–2017"]
    assert sources.loc["b.csv", ["rows_used", "rows_rejected"]].tolist() == [1, 0]  # absolute path cut to its name
    assert sources.loc["comtrade/c.csv", ["rows_used", "rows_rejected", "years"]].tolist() == [0, 2, "2017–2018"]
    assert sources.loc["comtrade/a.csv", "retrieved_at"] == "2026-01-02T00:00:00Z"
    by_reason = facts.rejects.set_index("reason")
    assert by_reason.loc["value_negative", ["rows", "value_usd"]].tolist() == [2, 150.0]
    assert by_reason.loc["value_missing", ["rows", "value_usd"]].tolist() == [1, 0.0]
    assert facts.hs_headings.set_index("heading")["value_usd"].to_dict() == {"8708": 12.0, "8703": 10.0}
    markdown = "\n".join(to_markdown(data_and_coverage(panel(), facts)))
    assert "/abs/dir" not in markdown and "b.csv" in markdown


def panel() -> pd.DataFrame:
    rows = [dict(year=y, country=c, partner="WLD", product_group="total_merchandise", indicator="exports_usd",
                 value=1e9, note=None) for y, countries in [(2016, ["JPN", "THA"]), (2017, ["JPN", "THA", "VNM", "USA"])]
            for c in countries]
    rows += [dict(year=2017, country="THA", partner="WLD", product_group="motor_vehicles_c29", indicator="dva_share",
                  value=None, note="missing_input"),
             dict(year=2016, country="IDN", partner="WLD", product_group="motor_vehicles_c29", indicator="dva_share",
                  value=40.0, note=None)]
    frame = pd.DataFrame(rows)
    frame["year"] = frame["year"].astype("Int64")
    frame["period"] = None
    return frame


def test_coverage_per_indicator_counts_only_rows_with_a_value() -> None:
    table = indicator_coverage(panel()).set_index("indicator")
    assert table.loc["exports_usd", ["years", "countries", "asean10", "japan"]].tolist() == ["2016–2017", 4, "2: Thailand, Viet Nam", "yes"]
    assert table.loc["dva_share", ["years", "countries", "asean10", "japan", "without_value", "why"]].tolist() == [
        "2016", 1, "1: Indonesia", "no", 1, "missing_input (1)"]


def test_world_is_the_countries_with_a_total_each_year() -> None:
    world = world_composition(panel()).set_index("year")
    assert world.loc[2016, ["rca_world_countries", "asean10_in_world", "japan_in_world"]].tolist() == [2, "1: Thailand", "yes"]
    assert world.loc[2017, "rca_world_countries"] == 4
    members = world_members(panel())
    assert members.loc[members["year"] == 2016, "country"].tolist() == ["JPN", "THA"]
    assert members.loc[members["year"] == 2017, "country"].tolist() == ["JPN", "THA", "USA", "VNM"]
    assert members["in_rca_world"].all() and not members["scope_exporter"].any()


def test_the_indicators_own_world_columns_are_shown_per_year() -> None:
    rows = panel()
    rca = pd.DataFrame([dict(year=2017, country="THA", partner="WLD", product_group="all_automotive", indicator="rca", value=2.0,
                             note=None, period=None, world_countries=4, world_coverage_share=0.875)])
    rca["year"] = rca["year"].astype("Int64")
    world = world_composition(pd.concat([rows, rca], ignore_index=True)).set_index("year")
    assert world.loc[2017, ["world_countries", "world_coverage_share"]].tolist() == ["4", "87.5 %"]
    assert world.loc[2016, ["world_countries", "world_coverage_share"]].tolist() == ["", ""]


def test_without_automotive_lines_the_report_says_so() -> None:
    only_totals = panel()
    only_totals = only_totals[only_totals["indicator"] == "exports_usd"]
    markdown = "\n".join(to_markdown(data_and_coverage(only_totals, None)))
    assert "The extracts hold no automotive lines with a value" in markdown
    assert "No source file is recorded" in markdown
    with_automotive = "\n".join(to_markdown(data_and_coverage(panel(), None)))
    assert "no automotive lines" not in with_automotive


def test_reject_reasons_with_equal_counts_are_listed_by_name(tmp_path: Path) -> None:
    # Three reasons, two of them with one row each, written in reverse alphabetical order.
    rejects = write(tmp_path / "rejects.parquet", pd.DataFrame({
        "refYear": [2017] * 4, "primaryValue": [1.0] * 4,
        "reason": ["value_negative", "value_missing", "flow_unknown", "flow_unknown"],
        "source_file": ["comtrade/a.csv"] * 4, "source_layout": ["legacy_full"] * 4,
        "retrieved_at": [None] * 4, "source_sha256": ["ab" * 32] * 4}))
    for _ in range(3):  # the order must not depend on how DuckDB happened to group the rows
        facts = summarize_stored_tables(duckdb.connect(), StoredTables(comtrade_rejects=(rejects,)))
        assert facts.rejects["reason"].tolist() == ["flow_unknown", "value_missing", "value_negative"]
