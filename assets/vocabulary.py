"""The shared vocabulary: raw column contracts, layout names and the code lists every stage speaks.

Belongs here: facts about the sources that more than one stage relies on — the columns and dtypes of
`comtrade_raw` and `tiva_raw`, the provenance columns, the file layouts the readers recognise, the HS
vintages and their years, flow codes, the codes Comtrade uses for "total" and "World", and the legacy
estimation-flag bits. Each is defined here once; sources, transforms and checks import it from here.
Not here: rules that use them (what a reject is, how a flow is reconciled), or anything read from a file.

This module is the bottom of the import layers (tests/architecture/test_import_layers.py): it imports
nothing of the project, so every other module may import it without making a cycle.
"""

from __future__ import annotations

# ------------------------------------------------------------------------------------ Comtrade raw contract

# Layout names a raw row can carry in `source_layout` (assets.sources.comtrade_layouts detects them).
COMTRADE_SOURCE_LAYOUTS: tuple[str, ...] = (
    "legacy_full",
    "legacy_api_reduced",
    "plus_api_json",
    "plus_website_csv",
    "plus_bulk",
    "plus_bulk_snake",
    "plus_plain",
)

COMTRADE_STR_FIELDS: tuple[str, ...] = (
    "typeCode", "freqCode", "period", "reporterCode", "reporterISO", "reporterDesc", "flowCode", "flowDesc",
    "partnerCode", "partnerISO", "partnerDesc", "partner2Code", "partner2ISO", "partner2Desc",
    "classificationCode", "classificationSearchCode", "cmdCode", "cmdDesc", "customsCode", "customsDesc",
    "mosCode", "motCode", "motDesc", "qtyUnitCode", "qtyUnitAbbr", "altQtyUnitCode", "altQtyUnitAbbr",
)
COMTRADE_INT_FIELDS: tuple[str, ...] = ("refPeriodId", "refYear", "refMonth", "aggrLevel", "legacyEstimationFlag")
COMTRADE_BOOL_FIELDS: tuple[str, ...] = (
    "isOriginalClassification", "isLeaf", "isQtyEstimated", "isAltQtyEstimated", "isNetWgtEstimated",
    "isGrossWgtEstimated", "isReported", "isAggregate",
)
COMTRADE_FLOAT_FIELDS: tuple[str, ...] = ("qty", "altQty", "netWgt", "grossWgt", "cifvalue", "fobvalue", "primaryValue")

# The Comtrade+ field names a source value can land in, in contract order.
COMTRADE_PLUS_FIELDS: tuple[str, ...] = (
    COMTRADE_STR_FIELDS + COMTRADE_INT_FIELDS + COMTRADE_BOOL_FIELDS + COMTRADE_FLOAT_FIELDS
)

# Where a raw row came from: column -> pandas dtype. Cleaning carries them into every fact and reject.
PROVENANCE_COLUMNS: dict[str, str] = {
    "source_file": "str",  # path relative to the extracts folder, POSIX separators
    "source_sha256": "str",
    "source_row": "Int64",  # 1-based data row in the file / record index in a JSON `data` array
    "source_layout": "str",
    "api_query": "str",  # url + sorted params of the API call that fetched the file, else null
    "retrieved_at": "str",  # ISO-8601 UTC retrieval time of an API response, else null
}
# A file fetched from an API is saved unchanged beside a sidecar `<file name>.query.json` recording the query and
# the retrieval time; readers take `api_query` and `retrieved_at` from it, inventories skip it.
QUERY_SIDECAR_SUFFIX = ".query.json"
# The provenance columns that say where a file sits and how it was fetched (the same for every row of a file
# at one location; a cached parse of identical bytes found elsewhere gets them anew).
LOCATION_COLUMNS: tuple[str, ...] = ("source_file", "api_query", "retrieved_at")
FIDELITY_COLUMNS: dict[str, str] = {
    "unparsed_fields": "str",  # JSON {field: original text} of values that could not be typed
    "extra_fields": "str",  # JSON {source field: text} of source fields with no Comtrade+ name
}

# Column -> pandas 3 dtype, in the contract order. "str" is pandas' default string dtype (NaN as null).
COMTRADE_RAW_COLUMNS: dict[str, str] = {
    **{name: "str" for name in COMTRADE_STR_FIELDS},
    **{name: "Int64" for name in COMTRADE_INT_FIELDS},
    **{name: "boolean" for name in COMTRADE_BOOL_FIELDS},
    **{name: "float64" for name in COMTRADE_FLOAT_FIELDS},
    **PROVENANCE_COLUMNS,
    **FIDELITY_COLUMNS,
}

# ---------------------------------------------------------------------------------------- TiVA raw contract

# `source_layout` values of tiva_raw (assets.sources.tiva_layouts detects them).
SDMX_CSV_V1 = "sdmx_csv_v1"
SDMX_CSV_V2 = "sdmx_csv_v2"
SDMX_DIMENSION_COLUMNS = "sdmx_dimension_columns"
OECD_STAT_TIVA = "oecd_stat_tiva"
TIVA_LAYOUTS: tuple[str, ...] = (SDMX_CSV_V1, SDMX_CSV_V2, SDMX_DIMENSION_COLUMNS, OECD_STAT_TIVA)

TIVA_RAW_COLUMNS: list[str] = [
    "measure", "country", "partner", "activity", "year", "obs_value", "unparsed_value",
    "unit_measure", "unit_mult", "obs_status", "dataflow", "edition",
    "source_file", "source_sha256", "source_row", "source_layout",
]

# -------------------------------------------------------------------------------------------- HS vintages

# Year each HS revision entered into force (WCO). Comtrade holds HS data from 1988, the year HS itself
# entered into force, under the H0 (HS1988/92) label. Trade of a year before a vintage's entry cannot be
# classified in that vintage; later years can (countries report in old vintages and UNSD converts down).
HS_VINTAGE_ENTRY_YEAR: dict[str, int] = {
    "H0": 1988,
    "H1": 1996,
    "H2": 2002,
    "H3": 2007,
    "H4": 2012,
    "H5": 2017,
    "H6": 2022,
}
# Comtrade's classification codes for the HS editions, in order (H0 = HS1992 ... H6 = HS2022).
HS_VINTAGES: tuple[str, ...] = tuple(HS_VINTAGE_ENTRY_YEAR)
# The year in each edition's name (HS1992 ... HS2022), as the UN correlation tables name them. H0 differs
# from its entry year above: the edition is called HS1992 though HS entered into force in 1988.
HS_VINTAGE_YEARS: dict[str, int] = {"H0": 1992, "H1": 1996, "H2": 2002, "H3": 2007, "H4": 2012, "H5": 2017, "H6": 2022}

# ------------------------------------------------------------------------------------------------- flows

FLOW_CODES: tuple[str, ...] = ("X", "M", "RX", "RM")
# Which trade-value basis primaryValue carries for each flow (Comtrade: imports CIF, exports FOB;
# re-imports are imports and re-exports are exports).
CIF_FLOWS: frozenset[str] = frozenset({"M", "RM"})
FOB_FLOWS: frozenset[str] = frozenset({"X", "RX"})
# The flows of bilateral facts, country totals and conversion evidence: re-exports and re-imports would
# count goods twice, so they stay in comtrade_clean only.
BILATERAL_FLOWS: tuple[str, ...] = ("X", "M")
# Legacy flow codes (comtrade.un.org "rg"): 1 import, 2 export, 3 re-export, 4 re-import.
LEGACY_FLOW_CODES: dict[str, str] = {"1": "M", "2": "X", "3": "RX", "4": "RM"}

# The CIF/FOB methods a run can choose (RVC_CIF_FOB_METHOD): the reconciliation applies them
# (assets/transforms/harmonization/reconciliation.py), the settings check the choice when the code location loads.
# Here rather than in the reconciliation because pipelines/settings.py is imported by every asset: an asset's
# code version covers the modules it imports (pipelines/code_versions.py), and an edit to the reconciliation
# must not mark `comtrade_raw` stale.
CIF_FOB_METHODS: tuple[str, ...] = ("flat", "chapter_median")
DEFAULT_CIF_FOB_METHOD = "flat"

# ---------------------------------------------------------------------------------- total and World codes

# Comtrade codes of the "all" value of a breakdown: a row with them is the total over that breakdown.
TOTAL_CUSTOMS_CODE = "C00"
TOTAL_MOT_CODE = "0"
TOTAL_MOS_CODE = "0"
TOTAL_PARTNER2_CODE = "0"
# Legacy files have no customs, transport or 2nd-partner breakdown: a missing column or an empty cell
# means the total, coded as Comtrade+ codes it.
LEGACY_TOTAL_CODES: dict[str, str] = {
    "partner2Code": TOTAL_PARTNER2_CODE,
    "customsCode": TOTAL_CUSTOMS_CODE,
    "motCode": TOTAL_MOT_CODE,
    "mosCode": TOTAL_MOS_CODE,
}

WORLD_PARTNER_CODE = "0"  # Comtrade's partnerCode of the World
WORLD_PARTNER_ISOS: frozenset[str] = frozenset({"WLD", "W00"})  # legacy WLD, Comtrade+ W00
# The World as a country or partner of the pipeline's own tables (ISO3 style). In trade indicators it is
# the sum over the countries in the extracts, not the true world.
WORLD = "WLD"
# The product group of a country's total merchandise trade (the RCA denominators).
TOTAL_MERCHANDISE = "total_merchandise"

# ------------------------------------------------------------------------------- legacy estimation flags

# Legacy estimation flag (UN Comtrade legacy API docs): 0 none, 2 quantity estimated, 4 net weight
# estimated, 6 both. Other values leave the two booleans unknown (null); the flag itself is kept.
KNOWN_LEGACY_FLAGS: tuple[int, ...] = (0, 2, 4, 6)
LEGACY_FLAGS_QTY_ESTIMATED: tuple[int, ...] = (2, 6)
LEGACY_FLAGS_NET_WEIGHT_ESTIMATED: tuple[int, ...] = (4, 6)
