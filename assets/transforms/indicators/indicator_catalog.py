"""The indicator catalog: name, definition, formula, unit, bounds and references of every indicator.

Belongs here: loading and validating assets/data/indicator_catalog.csv (the data file is the source
of truth; the README and the Dagster UI render it with `catalog_markdown`), and deriving the growth
indicators ("<name>_cagr") the panel adds. Not here: any computation of indicators.

Catalog columns: indicator, source ("trade" | "value_added"), unit, lower, upper (bounds a valid value
respects, NaN = unbounded), growth (bool: a level whose CAGR the panel reports), expected_per_country
(bool: every country with data in one of the indicator's product groups must have a row),
product_groups, variants (the first is the default), subtypes (";"-separated lists), partners,
definition, formula, inputs, reference, notes.

product_groups names groups through the study's scope (scopes/*.yaml), so one catalog serves every scope:
`scope_groups` (each group of the scope file), `quantity_groups` (those with a unit-value quantity),
`all_group` (every line of the scope, e.g. all_automotive), `all_group_with_stages` (the same, only when the
scope has both final and component groups), `parts_components_group` (its BEC parts-and-components lines),
`tiva_activities` (the scope's TiVA activity groups) and `total_merchandise`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from assets.errors import RvcInputError
from assets.markdown_text import markdown_cell, markdown_table
from assets.project_paths import DATA_DIR
from assets.transforms.reference.scope import Scope
from assets.vocabulary import TOTAL_MERCHANDISE

CATALOG_PATH = DATA_DIR / "indicator_catalog.csv"
CATALOG_COLUMNS: list[str] = [
    "indicator",
    "source",
    "unit",
    "lower",
    "upper",
    "growth",
    "expected_per_country",
    "product_groups",
    "partners",
    "variants",
    "subtypes",
    "definition",
    "formula",
    "inputs",
    "reference",
    "notes",
]
LIST_COLUMNS = ("product_groups", "variants", "subtypes")
SOURCES = ("trade", "value_added")
GROWTH_SUFFIX = "_cagr"
GROWTH_UNIT = "percent_per_year"
GROUP_TOKENS = ("scope_groups", "quantity_groups", "all_group", "all_group_with_stages", "parts_components_group",
                "tiva_activities", TOTAL_MERCHANDISE)


def catalog_product_groups(tokens: str, scope: Scope) -> list[str]:
    """The product groups a catalog `product_groups` cell means in `scope` (module docstring), in order."""
    staged = bool(scope.final_groups and scope.component_groups)
    meaning = {
        "scope_groups": list(scope.group_names),
        "quantity_groups": list(scope.quantity_basis),
        "all_group": [scope.all_group],
        "all_group_with_stages": [scope.all_group] if staged else [],
        "parts_components_group": [scope.parts_components_group],
        "tiva_activities": list(scope.tiva_activities.values()),
        TOTAL_MERCHANDISE: [TOTAL_MERCHANDISE],
    }
    return [group for token in split_list(tokens) for group in meaning[token]]


def catalog_for_scope(catalog: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The catalog rows that apply in `scope` (their product_groups mean at least one group of it): the report lists
    these, so a scope without finished goods does not show parts_to_vehicles_ratio and its automotive formula."""
    applies = catalog["product_groups"].map(lambda tokens: bool(catalog_product_groups(tokens, scope)))
    return catalog[applies]


def load_indicator_catalog(path: Path | None = None) -> pd.DataFrame:
    """Read and validate the catalog CSV (default: the bundled assets/data/indicator_catalog.csv).

    Out: one row per indicator with CATALOG_COLUMNS; lower/upper float64 (NaN = unbounded), growth and
    expected_per_country bool, text columns str ("" where empty), sorted as in the file.
    Raises RvcInputError naming the file and the problem (missing columns, duplicate names, a bad
    boolean, a source other than trade/value_added, lower > upper).
    """
    path = Path(path) if path is not None else CATALOG_PATH
    raw = pd.read_csv(path, dtype="str", keep_default_na=False, encoding="utf-8")
    missing = [c for c in CATALOG_COLUMNS if c not in raw.columns]
    if missing:
        raise RvcInputError(f"{path}: missing catalog columns {missing}; expected {CATALOG_COLUMNS}.")
    catalog = raw[CATALOG_COLUMNS].copy()
    duplicated = catalog["indicator"][catalog["indicator"].duplicated()].tolist()
    if duplicated:
        raise RvcInputError(f"{path}: indicators listed twice: {duplicated}; keep one row per indicator.")
    for column in ("growth", "expected_per_country"):
        bad = ~catalog[column].str.lower().isin(["true", "false"])
        if bad.any():
            rows = (catalog.index[bad] + 2).tolist()
            raise RvcInputError(f"{path}: column {column} must be true or false; rows {rows} are not.")
        catalog[column] = catalog[column].str.lower() == "true"
    unknown = sorted({t for cell in catalog["product_groups"] for t in split_list(cell)} - set(GROUP_TOKENS))
    if unknown:
        raise RvcInputError(
            f"{path}: product_groups names {unknown}; expected the scope tokens {list(GROUP_TOKENS)} (module docstring)."
        )
    bad_source = ~catalog["source"].isin(SOURCES)
    if bad_source.any():
        raise RvcInputError(
            f"{path}: source must be one of {SOURCES}; got {sorted(catalog.loc[bad_source, 'source'].unique())}."
        )
    for column in ("lower", "upper"):
        catalog[column] = pd.to_numeric(catalog[column].mask(catalog[column] == ""), errors="raise").astype("float64")
    inverted = catalog["lower"] > catalog["upper"]
    if inverted.any():
        raise RvcInputError(f"{path}: lower > upper for {catalog.loc[inverted, 'indicator'].tolist()}.")
    return catalog.reset_index(drop=True)


def split_list(text: str) -> list[str]:
    """The items of a ";"-separated catalog cell ("" → [])."""
    return [item.strip() for item in text.split(";") if item.strip()]


def default_variant(catalog: pd.DataFrame, indicator: str) -> str:
    """The first variant the catalog lists for `indicator`."""
    row = catalog.loc[catalog["indicator"] == indicator]
    if row.empty:
        raise RvcInputError(f"indicator catalog: no indicator named {indicator!r}.")
    return split_list(row["variants"].iloc[0])[0]


def growth_catalog(catalog: pd.DataFrame) -> pd.DataFrame:
    """The catalog plus one "<name>_cagr" row per growth indicator (the panel's growth rates).

    A CAGR is in percent per year and bounded below by -100 (a level falling to zero).
    """
    levels = catalog[catalog["growth"]]
    derived = levels.assign(
        indicator=levels["indicator"] + GROWTH_SUFFIX,
        unit=GROWTH_UNIT,
        lower=-100.0,
        upper=float("nan"),
        growth=False,
        expected_per_country=False,
        subtypes="",
        definition="Compound annual growth rate of " + levels["indicator"] + " over the row's period.",
        formula="100 * ((V_end / V_start) ** (1 / (end - start)) - 1)",
        inputs=levels["indicator"],
        reference="Standard compound annual growth rate",
        notes="Rows carry period 'start-end' and year = end; NaN 'zero_denominator' when V_start = 0, "
        "'missing_endpoint' when a year of the period has no value, 'negative_value' when an endpoint is negative.",
    )
    return pd.concat([catalog, derived], ignore_index=True)


def catalog_markdown(catalog: pd.DataFrame) -> str:
    """The catalog as a Markdown table (indicator, unit, definition, formula, reference) for README/UI."""
    rows = [[row.indicator, row.unit, row.definition, row.formula, row.reference] for row in catalog.itertuples(index=False)]
    header = ["indicator", "unit", "definition", "formula", "reference"]
    return markdown_table(header, rows, code_columns=(0,), cell=markdown_cell) + "\n"
