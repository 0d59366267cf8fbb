"""The report's scope in ONE place: the reference economy, the fixed ASEAN-10, the hub, focus countries,
product-group names and display names.

Everything else in report/ asks this module; when the scope moves to a configuration file (issue 14),
only this module changes. ASEAN trend statements use the fixed ASEAN-10 membership (partner code
"ASEAN10"), so a trend is never an artefact of accession dates (Viet Nam 1995, Lao PDR and Myanmar 1997,
Cambodia 1999).
"""

from __future__ import annotations

REFERENCE = "JPN"  # the economy every chart marks and unit values are compared with
HUB = "THA"  # the candidate regional hub of the first use case
ASEAN10 = ["BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM"]
ASEAN10_PARTNER = "ASEAN10"  # the panel's partner/country code for the fixed ten members
FOCUS_IMPORTERS = ["THA", "IDN", "MYS", "PHL", "VNM"]  # the ASEAN car producers
PRODUCERS_COMPARED = ["THA", "IDN"]  # the two largest ASEAN producers, compared on P&C share and RCA

# Product groups of assets/data/product_groups (names as the panel holds them).
CARS = "passenger_cars"
PARTS = "parts_accessories"
ALL_AUTOMOTIVE = "all_automotive"
PARTS_COMPONENTS_BEC = "parts_components_bec"
MOTOR_VEHICLES_TIVA = "motor_vehicles_c29"

COUNTRY_NAMES = {
    "JPN": "Japan", "BRN": "Brunei", "KHM": "Cambodia", "IDN": "Indonesia", "LAO": "Lao PDR", "MYS": "Malaysia",
    "MMR": "Myanmar", "PHL": "Philippines", "SGP": "Singapore", "THA": "Thailand", "VNM": "Viet Nam",
    "CHN": "China", "KOR": "Korea", "USA": "United States", "DEU": "Germany", "WLD": "the world",
    "ASEAN": "ASEAN", "ASEAN10": "ASEAN-10",
}


def name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)


def possessive(code: str) -> str:
    """"Thailand's", "the Philippines'" — for generated sentences."""
    label = {"PHL": "the Philippines"}.get(code, name(code))
    return f"{label}'" if label.endswith("s") else f"{label}'s"


def automotive_hs_prefixes() -> list[str]:
    """The HS prefixes the product groups of the default scope file take (scopes/automotive.yaml), to say
    whether the extracts hold any."""
    from assets.transforms.reference.scope import load_scope

    return sorted(load_scope().prefix_groups)


AUTOMOTIVE_GROUPS = [CARS, "commercial_vehicles", PARTS, "bodies_chassis", "engines", ALL_AUTOMOTIVE,
                     PARTS_COMPONENTS_BEC, MOTOR_VEHICLES_TIVA]
