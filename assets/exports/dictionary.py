"""The data dictionary written beside every export: each column's type, unit, description and source, and the
unit, definition and formula of each indicator the export holds.

Belongs here: where a description comes from, in this order — the asset's own column schema (the pandera
schemas in checks/, which Dagster shows as the asset's column metadata), then assets/data/column_descriptions.csv
(columns the schemas leave undescribed: Comtrade+ raw fields, the long indicator format, TiVA fields), asset-
specific rows before generic ones; units from that file or the name's suffix (`_usd`, `_kg`); indicator units
from the indicator catalog (assets/data/indicator_catalog.csv, growth rates added as the panel adds them).
Not here: reading the schemas out of Dagster (pipelines/export.py passes them in), writing files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from assets.project_paths import DATA_DIR
from assets.transforms.indicators.indicator_catalog import growth_catalog, load_indicator_catalog

DESCRIPTIONS_PATH = DATA_DIR / "column_descriptions.csv"
DICTIONARY_COLUMNS = ["column", "type", "unit", "description", "source"]
INDICATOR_COLUMNS = ["indicator", "unit", "definition", "formula", "reference"]
NO_DESCRIPTION = "(no description recorded)"

# Where each asset's values come from (the methods are in docs/methods.md).
ASSET_SOURCES: dict[str, str] = {
    **dict.fromkeys(["comtrade_raw", "comtrade_clean", "comtrade_totals", "comtrade_rejects"],
                    "UN Comtrade (extract files or API), as reported"),
    **dict.fromkeys(["trade_flows", "country_totals"],
                    "UN Comtrade, both sides reconciled to HS1992 FOB (docs/methods.md)"),
    "trade_indicators": "computed from trade_flows and country_totals (UN Comtrade); formulas in the indicator catalog",
    **dict.fromkeys(["tiva_raw", "tiva_clean", "tiva_rejects", "value_added"], "OECD Trade in Value Added (TiVA)"),
    "va_indicators": "computed from value_added (OECD TiVA); formulas in the indicator catalog",
    "indicator_panel": "trade_indicators and va_indicators, all years, with growth rates (indicator catalog)",
    **dict.fromkeys(["hs_concordance", "hs_conversion_weights"],
                    "UN HS correlation tables; weights from pooled UN Comtrade trade (docs/methods.md)"),
    "product_groups": "HS nomenclature and the UN HS-BEC Rev.4 correspondence",
    **dict.fromkeys(["country_codes", "regions"], "UN Comtrade country lists, country_converter, assets/data/regions.csv"),
}
SUFFIX_UNITS = (("_usd", "USD"), ("_kg", "kg"))


def load_column_descriptions(path: Path = DESCRIPTIONS_PATH) -> pd.DataFrame:
    """assets/data/column_descriptions.csv: asset (blank = any; ';'-separated), column, unit, description."""
    table = pd.read_csv(path, dtype="str", keep_default_na=False)
    expected = ["asset", "column", "unit", "description"]
    if list(table.columns) != expected:
        raise ValueError(f"{path}: columns {list(table.columns)}; expected {expected}")
    return table


def _fallback(table: pd.DataFrame, asset: str, column: str) -> tuple[str, str]:
    rows = table[table["column"] == column]
    specific = rows[rows["asset"].str.split(";").apply(lambda names: asset in names)]
    generic = rows[rows["asset"] == ""]
    chosen = specific if len(specific) else generic
    if chosen.empty:
        return "", ""
    return chosen.iloc[0]["unit"], chosen.iloc[0]["description"]


def column_unit(column: str, listed_unit: str) -> str:
    if listed_unit:
        return listed_unit
    return next((unit for suffix, unit in SUFFIX_UNITS if column.endswith(suffix)), "")


def data_dictionary(
    asset: str,
    types: Mapping[str, str],
    schema_descriptions: Mapping[str, str],
    fallback: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per exported column (in export order): column, type, unit, description, source.

    `types`: column → DuckDB type of the export; `schema_descriptions`: column → description from the asset's
    column schema (may be empty). A column described nowhere says so (NO_DESCRIPTION) rather than guessing.
    """
    fallback = load_column_descriptions() if fallback is None else fallback
    source = f"{ASSET_SOURCES.get(asset, 'rvc-pipeline warehouse')}; asset {asset}"
    rows = []
    for column, dtype in types.items():
        unit, description = _fallback(fallback, asset, column)
        description = schema_descriptions.get(column) or description or NO_DESCRIPTION
        rows.append({"column": column, "type": dtype, "unit": column_unit(column, unit), "description": description,
                     "source": source})
    return pd.DataFrame(rows, columns=DICTIONARY_COLUMNS)


def indicator_dictionary(indicators: Sequence[str], catalog: pd.DataFrame | None = None) -> pd.DataFrame:
    """Unit, definition, formula and reference of each indicator named (growth rates included), in the order
    given. An indicator the catalog does not list is named with an empty unit and says so, never dropped."""
    catalog = growth_catalog(load_indicator_catalog()) if catalog is None else catalog
    listed = catalog.set_index("indicator")
    rows = []
    for name in indicators:
        if name in listed.index:
            entry = listed.loc[name]
            rows.append({"indicator": name, **{c: str(entry[c]) for c in INDICATOR_COLUMNS[1:]}})
        else:
            rows.append({"indicator": name, "unit": "", "definition": "not in the indicator catalog", "formula": "",
                         "reference": ""})
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)
