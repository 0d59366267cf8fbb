"""The step tables of every stage (rows and value removed per rule) name their columns alike, value in US
dollars: `value_removed_usd` (issue #18), so they can be read, stacked and compared without a rename."""

from __future__ import annotations

import pandas as pd

from assets.sources.tiva_layouts import TIVA_RAW_COLUMNS
from assets.transforms.cleaning.comtrade_cleaning import STEP_COLUMNS, clean_comtrade
from assets.transforms.cleaning.tiva_cleaning import STEPS_COLUMNS, clean_tiva
from assets.transforms.harmonization.hs_conversion import conversion_weights
from assets.transforms.harmonization.trade_flows import build_trade_flows
from assets.transforms.reference.country_codes import build_country_codes
from checks.raw import COMTRADE_RAW_COLUMNS

# One tiny year per stage: one USD 2-million TiVA row written twice, one Comtrade goods row with a negative value.
TIVA_ROW = {"measure": "EXGR", "country": "THA", "partner": "JPN", "activity": "C29", "year": 2016, "obs_value": 2.0,
            "unit_measure": "USD", "unit_mult": 6, "edition": "2023", "source_file": "t.csv", "source_sha256": "x"}
COMTRADE_ROW = {"refYear": 2016, "freqCode": "A", "typeCode": "C", "reporterCode": "764", "partnerCode": "392",
                "flowCode": "X", "classificationCode": "H4", "cmdCode": "870323", "primaryValue": -5.0,
                "source_file": "c.csv", "source_row": 1}


def _typed(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows).reindex(columns=list(columns))
    return frame.astype(columns)


def test_every_step_table_gives_value_removed_in_us_dollars() -> None:
    tiva_columns = {name: "str" for name in TIVA_RAW_COLUMNS} | {"year": "Int64", "obs_value": "float64", "unit_mult": "Int64", "source_row": "Int64"}
    tiva = _typed([TIVA_ROW | {"source_row": 1}, TIVA_ROW | {"source_row": 2}], {c: tiva_columns[c] for c in TIVA_RAW_COLUMNS})
    tiva_steps = clean_tiva(tiva).steps.set_index("step")
    assert tiva_steps.loc["duplicate_row", "value_removed_usd"] == 2_000_000.0  # USD 2 million, in dollars

    comtrade_steps = clean_comtrade(_typed([COMTRADE_ROW], COMTRADE_RAW_COLUMNS)).steps.set_index("step")
    assert comtrade_steps.loc["value_negative", "value_removed_usd"] == -5.0

    weights = conversion_weights(
        pd.DataFrame({"from_vintage": ["H4"], "from_code": ["870323"], "to_vintage": ["H0"], "to_code": ["870323"], "relationship": ["1:1"]}),
        pd.DataFrame({"hs6": ["870323"], "value_usd": [1.0]}),
        pd.DataFrame({"from_vintage": ["H4"], "from_code": ["870323"], "to_code": ["870323"]}),
    )
    flows = build_trade_flows(clean_comtrade(_typed([], COMTRADE_RAW_COLUMNS)).clean, weights, build_country_codes(None))
    tables = {"tiva_cleaning": tiva_steps.reset_index(), "comtrade_cleaning": comtrade_steps.reset_index(), "trade_flows": flows.steps}
    for stage, steps in tables.items():
        assert list(steps.columns[:3]) == ["step", "rows_removed", "value_removed_usd"], stage
        assert str(steps["value_removed_usd"].dtype) == "float64", stage
    assert STEP_COLUMNS[:3] == STEPS_COLUMNS == ["step", "rows_removed", "value_removed_usd"]
