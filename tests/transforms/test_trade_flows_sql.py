"""trade_flows at scale: the SQL stage over a Parquet file equals the frame form, and the trade_flows contract
evaluated in SQL (how a whole year is validated) agrees with pandera on valid and broken tables."""

from pathlib import Path

import pandas as pd
import pandera.errors
import pyarrow.parquet as pq
import pytest

from assets.duckdb_session import duckdb_session, parquet_relation, write_query_to_parquet
from assets.errors import RvcInputError
from assets.tables import arrow_to_pandas
from assets.transforms.harmonization.reconciliation import TRADE_FLOWS_COLUMNS
from assets.transforms.harmonization.trade_flows import build_trade_flows, trade_flows_in_duckdb
from assets.transforms.reference.country_codes import build_country_codes
from checks.harmonization import trade_flows_schema
from pipelines.table_validation import assert_translatable, validate_parquet
from tests.transforms.test_trade_flows import WEIGHTS, _record


def _clean() -> pd.DataFrame:
    clean = pd.DataFrame(
        [
            _record("392", "764", "X", "870340", 100.0),
            _record("764", "392", "M", "870340", 104.0),
            _record("392", "764", "X", "870323", 50.0),
            _record("392", "764", "RX", "870323", 7.0),
            _record("392", "899", "X", "870323", 9.0, partner_is_nes=True),
            _record("764", "764", "M", "870323", 11.0),  # self-trade
            _record("764", "392", "M", "870323", 30.0, cif_usd=None, fob_usd=30.0),  # declared FOB
            _record("392", "0", "X", "870323", 500.0),  # World: not a country pair
            _record("704", "764", "X", "870321", 20.0, classification="H0"),  # reported in H0
        ]
    )
    return clean.astype({"qty": "float64", "net_kg": "float64", "cif_usd": "float64", "fob_usd": "float64"})


def test_the_stage_over_parquet_equals_the_frame_form(tmp_path: Path) -> None:
    clean = _clean()
    codes = build_country_codes(None)
    expected = build_trade_flows(clean, WEIGHTS, codes)
    source = tmp_path / "clean.parquet"
    clean.to_parquet(source)
    out = tmp_path / "flows.parquet"
    with duckdb_session(tmp_path / "spill", "500MB") as con:
        built = trade_flows_in_duckdb(con, parquet_relation(source, with_position=True), WEIGHTS, codes)
        write_query_to_parquet(con, built.flows.sql_query(), out)
        assert validate_parquet(con, trade_flows_schema, out).empty
    written = arrow_to_pandas(pq.read_table(out))
    pd.testing.assert_frame_equal(written, expected.flows, check_dtype=False)
    pd.testing.assert_frame_equal(built.steps, expected.steps)
    steps = built.steps.set_index("step")
    assert steps.loc["self-trade (reporter = partner) kept out of bilateral facts", "value_removed_usd"] == 11.0
    assert steps.loc["reporter or partner not a country (special categories, regions)", "rows_removed"] == 1
    flows = expected.flows.set_index("hs6")
    assert flows.loc["870323", "value_importer_fob_declared_usd"] == 30.0  # used as declared
    assert "870321" in flows.index  # the H0 line passes through


def test_unknown_codes_raise_with_their_row_counts() -> None:
    clean = pd.concat([_clean(), pd.DataFrame([_record("999", "764", "X", "870323", 1.0)] * 2)], ignore_index=True)
    with pytest.raises(RvcInputError, match=r"'999' \(2 rows\)"):
        build_trade_flows(clean.astype({"qty": "float64", "net_kg": "float64"}), WEIGHTS, build_country_codes(None))


def test_codes_unknown_to_the_conversion_raise() -> None:
    clean = pd.DataFrame([_record("392", "764", "X", "010121", 1.0)]).astype({"qty": "float64", "net_kg": "float64"})
    with pytest.raises(RvcInputError, match="not valid for the vintage"):
        build_trade_flows(clean, WEIGHTS, build_country_codes(None))


def _sql_failures(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    frame.to_parquet(path)
    with duckdb_session() as con:
        return validate_parquet(con, trade_flows_schema, path)


def _swap_first_rows(f: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([f.iloc[[1, 0]], f.iloc[2:]], ignore_index=True)


BROKEN = {
    "sorted by year, exporter, importer, hs6": _swap_first_rows,
    "no self-trade": lambda f: f.assign(importer=f["exporter"]),
    "one recon_rule and exporter_weight per recon_group": lambda f: f.assign(
        exporter_weight=[0.25] + [0.5] * (len(f) - 1)),
    "value_usd summed over a recon_group between": lambda f: f.assign(value_usd=f["value_usd"] * 10),
    "recon_group is a prefix of hs6": lambda f: f.assign(recon_group="84"),
    "recon_rule and exporter_weight consistent": lambda f: f.assign(recon_rule="exporter_only"),
    "value_importer_fob_usd = value_importer_cif_usd": lambda f: f.assign(cif_fob_ratio=2.0),
    "at least one side reports": lambda f: f.assign(value_exporter_fob_usd=None, value_importer_fob_usd=None,
                                                    value_importer_cif_usd=None, cif_fob_ratio=None).astype(
        {"value_exporter_fob_usd": "float64", "value_importer_fob_usd": "float64", "value_importer_cif_usd": "float64",
         "cif_fob_ratio": "float64"}),
    "matches": lambda f: f.assign(hs6="8703"),
}


@pytest.mark.parametrize("failing_check", list(BROKEN))
def test_the_contract_agrees_in_pandas_and_sql(failing_check: str, tmp_path: Path) -> None:
    assert_translatable(trade_flows_schema)
    flows = build_trade_flows(_clean(), WEIGHTS, build_country_codes(None)).flows
    flows = flows[flows["exporter"] == "JPN"].reset_index(drop=True)[TRADE_FLOWS_COLUMNS]
    assert len(flows) >= 2
    trade_flows_schema.validate(flows, lazy=True)
    assert _sql_failures(flows, tmp_path / "valid.parquet").empty
    broken = BROKEN[failing_check](flows)
    with pytest.raises(pandera.errors.SchemaErrors) as failure:
        trade_flows_schema.validate(broken, lazy=True)
    assert failure.value.failure_cases["check"].astype(str).str.contains(failing_check, regex=False).any()
    sql = _sql_failures(broken, tmp_path / "broken.parquet")
    assert sql["check"].astype(str).str.contains(failing_check, regex=False).any(), sql


def test_an_import_declared_both_cif_and_fob_enters_at_its_declared_fob_value(tmp_path: Path) -> None:
    # The USA declares imports CIF 1060 and FOB 1000: the line is valued at 1000 as declared, never 1060 / 1.04.
    clean = pd.DataFrame([_record("842", "392", "M", "870323", 1060.0, cif_usd=1060.0, fob_usd=1000.0)])
    clean = clean.astype({"qty": "float64", "net_kg": "float64", "cif_usd": "float64", "fob_usd": "float64"})
    flows = build_trade_flows(clean, WEIGHTS, build_country_codes(None)).flows
    assert len(flows) == 1
    line = flows.iloc[0]
    assert (line["exporter"], line["importer"], line["hs6"]) == ("JPN", "USA", "870323")
    assert line["value_importer_fob_declared_usd"] == 1000.0
    assert line["value_usd"] == 1000.0
