"""`value_added`: cleaned TiVA observations on the pipeline's country codes.

TiVA already uses ISO3 for economies; what this step adds is a loud failure for an economy code the
country table does not know, and the region codes kept as they are (flagged as aggregates).
"""

from __future__ import annotations

import pandas as pd

from assets.errors import RvcInputError

VALUE_ADDED_COLUMNS = [
    "year", "measure", "country", "partner", "activity", "value", "unit", "edition",
    "country_is_aggregate", "partner_is_aggregate", "source_file",
]


def latest_edition(tiva_clean: pd.DataFrame) -> pd.DataFrame:
    """Where several TiVA editions cover the same observation, keep the newest.

    Editions named by a year compare numerically ("2025" beats "2023"); other edition strings (a
    dataflow version) rank below any year and among themselves by text. TiVA revises back years with
    each edition, so the newest edition is the one to use.
    """
    keys = ["year", "measure", "country", "partner", "activity"]
    edition_year = pd.to_numeric(tiva_clean["edition"].str.extract(r"^(\d{4})$")[0], errors="coerce").fillna(-1)
    ranked = tiva_clean.assign(_edition_year=edition_year).sort_values([*keys, "_edition_year", "edition"], kind="stable")
    return ranked.drop_duplicates(keys, keep="last").drop(columns="_edition_year")


def build_value_added(tiva_clean: pd.DataFrame, country_codes: pd.DataFrame) -> pd.DataFrame:
    """Check every non-aggregate economy against `country_codes` (ISO3) and keep the canonical columns."""
    known = set(country_codes["iso3"].dropna())
    economies = pd.concat(
        [
            tiva_clean.loc[~tiva_clean["country_is_aggregate"], "country"],
            tiva_clean.loc[~tiva_clean["partner_is_aggregate"], "partner"],
        ]
    )
    unknown = economies[~economies.isin(known)].value_counts()
    if len(unknown):
        listed = ", ".join(f"{code} ({rows} rows)" for code, rows in unknown.items())
        raise RvcInputError(
            f"tiva_clean has economy codes that are not ISO3 codes of the country table: {listed}. "
            "If they are TiVA aggregates, add them to the aggregate list in assets/transforms/cleaning/tiva_cleaning.py; "
            "if they are countries, add them to assets/data/country_overrides.csv."
        )
    out = latest_edition(tiva_clean)[VALUE_ADDED_COLUMNS].sort_values(["year", "measure", "activity", "country", "partner"], kind="stable")
    return out.reset_index(drop=True)
