"""Findings as sentences generated from the panel's numbers — never hard-coded text.

Each finding function returns a sentence, or a sentence saying plainly which data are missing.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from assets.transforms.report.panel_views import default_variant, series
from assets.transforms.report.scope import ASEAN10 as ASEAN_MEMBERS, possessive


def _direction(first: float, last: float) -> str:
    if last > first:
        return "rose"
    if last < first:
        return "fell"
    return "was unchanged"


def _change_sentence(subject: str, data: pd.Series, fmt: Callable[[float], str], missing: str) -> str:
    if len(data) < 2:
        return f"{subject}: {missing}"
    first_year, last_year = int(data.index[0]), int(data.index[-1])
    first, last = float(data.iloc[0]), float(data.iloc[-1])
    return f"{subject} {_direction(first, last)} from {fmt(first)} in {first_year} to {fmt(last)} in {last_year}."


def _pct(share: float) -> str:
    return f"{share * 100:.1f} %"


def _pct_points(value: float) -> str:
    return f"{value:.1f} %"


def _usd_bn(value: float) -> str:
    return f"US$ {value / 1e9:.2f} bn"


def japan_share_of_parts_imports(panel: pd.DataFrame) -> list[str]:
    variant = default_variant(panel, "import_source_share")
    out = []
    for member in ["THA", "IDN", "MYS", "PHL", "VNM"]:
        data = series(panel, "import_source_share", member, "JPN", "parts_accessories", variant)
        out.append(_change_sentence(f"Japan's share of {possessive(member)} parts imports (HS 8708)", data, _pct,
                                    "no data (needs import_source_share for at least two years)"))
    return out


def thai_automotive_exports(panel: pd.DataFrame) -> list[str]:
    variant = default_variant(panel, "exports_usd")
    data = series(panel, "exports_usd", "THA", "WLD", "all_automotive", variant)
    return [_change_sentence("Thailand's automotive exports to the world", data, _usd_bn, "no data")]


def japan_exports(panel: pd.DataFrame) -> list[str]:
    variant = default_variant(panel, "exports_usd")
    return [
        _change_sentence("Japan's car exports to the United States (HS 8703)",
                         series(panel, "exports_usd", "JPN", "USA", "passenger_cars", variant), _usd_bn, "no data"),
        _change_sentence("Japan's parts exports to ASEAN (HS 8708)",
                         series(panel, "exports_usd", "JPN", "ASEAN", "parts_accessories", variant), _usd_bn, "no data"),
    ]


def intra_asean(panel: pd.DataFrame) -> list[str]:
    variant = default_variant(panel, "intra_asean_share")
    data = series(panel, "intra_asean_share", "ASEAN", "ASEAN", "parts_accessories", variant)
    return [_change_sentence("The intra-ASEAN share of ASEAN members' parts trade", data, _pct, "no data")]


def value_added_localization(panel: pd.DataFrame) -> list[str]:
    out = [
        _change_sentence("The domestic value added share of Thailand's motor-vehicle (C29) exports",
                         series(panel, "dva_share", "THA", "WLD", "motor_vehicles_c29"), _pct_points,
                         "no TiVA data for Thailand's C29 exports"),
        # Origin: value added produced in Japan (TiVA origin-of-value-added measures such as EXGR_BSCI).
        _change_sentence("Value added originating in Japan as a share of Thailand's C29 exports",
                         series(panel, "fva_origin_share", "THA", "JPN", "motor_vehicles_c29", "of_gross_exports"),
                         _pct_points, "no TiVA value added by origin (EXGR_BSCI) for Thailand"),
        # Destination: the MAINLV partner breakdown of EXGR_FVA is the market the exports go to, not an origin.
        _change_sentence("The foreign value added content of Thailand's C29 exports to Japan (destination market)",
                         series(panel, "fva_by_destination_share", "THA", "JPN", "motor_vehicles_c29",
                                "of_exports_to_destination"),
                         _pct_points, "no TiVA breakdown of Thailand's C29 exports by destination"),
        _change_sentence("Thailand's GVC participation in C29 (backward fva_share + forward EXGR_DVAFXSH)",
                         series(panel, "gvc_participation", "THA", "WLD", "motor_vehicles_c29"),
                         _pct_points, "no TiVA forward participation (EXGR_DVAFXSH) for Thailand"),
    ]
    return out


def upgrading(panel: pd.DataFrame) -> list[str]:
    variant = default_variant(panel, "rca")
    out = []
    for member in ["THA", "IDN"]:
        for group, label in [("parts_accessories", "parts"), ("passenger_cars", "cars")]:
            data = series(panel, "rca", member, "WLD", group, variant)
            out.append(_change_sentence(f"{possessive(member)} revealed comparative advantage in {label}", data,
                                        lambda v: f"{v:.2f}", "no data"))
    return out


FINDINGS = [
    japan_share_of_parts_imports,
    thai_automotive_exports,
    japan_exports,
    intra_asean,
    value_added_localization,
    upgrading,
]


def generate_findings(panel: pd.DataFrame) -> list[str]:
    return [sentence for finding in FINDINGS for sentence in finding(panel)]


def missing_members(panel: pd.DataFrame) -> list[str]:
    """ASEAN members with no trade indicator at all: said plainly in the report."""
    present = set(panel.loc[panel["indicator"] == "exports_usd", "country"])
    return [m for m in ASEAN_MEMBERS if m not in present]
