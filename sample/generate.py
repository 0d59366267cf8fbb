"""Write the synthetic sample that `make demo` runs on: Comtrade+ bulk extracts, a TiVA SDMX-CSV extract and
small HS reference tables, all in the layouts the real sources publish.

What belongs here: the trade and value-added model behind the sample (calibrated magnitudes, shocks,
product splits), the quirks planted in it, and the writers for each layout. What does not: anything the
pipeline itself uses to read or clean data — the pipeline must read these files exactly as it reads
real downloads. Everything written is synthetic; file names start with `sample_` (extracts) and the
reference tables are a hand-written subset (sample/README.md says so).

Deterministic: draws that must hold across years (pair effects, line tilts, CIF margins) are hashes of
(seed, key); yearly noise comes from one `random.Random` stream per year and purpose, seeded with a
string and consumed in a fixed loop order, so a year's file does not depend on the other years. Values
are rounded to whole US$ / kg / units and gzip members carry mtime 0 and no file name: two runs give
byte-identical files. Standard library only, so `python sample/generate.py` works without the project
installed.

Run from the repository root: `python -m sample.generate` (add `--report` to print the calibration
and quirk summary that sample/README.md quotes).
"""

from __future__ import annotations

import argparse
import csv
import functools
import gzip
import hashlib
import io
import math
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

SEED = 20_240_601
YEARS = tuple(range(1995, 2024))
TIVA_YEARS = tuple(range(1995, 2023))
SAMPLE_DIR = Path(__file__).resolve().parent

# Comtrade+ bulk field names (camelCase, no description columns), in the order the files carry them.
COMTRADE_COLUMNS = (
    "typeCode", "freqCode", "refPeriodId", "refYear", "refMonth", "period", "reporterCode", "reporterISO",
    "flowCode", "partnerCode", "partnerISO", "partner2Code", "classificationCode", "cmdCode", "customsCode",
    "motCode", "mosCode", "qtyUnitCode", "qtyUnitAbbr", "qty", "isQtyEstimated", "altQtyUnitCode", "altQty",
    "isAltQtyEstimated", "netWgt", "isNetWgtEstimated", "grossWgt", "isGrossWgtEstimated", "cifvalue",
    "fobvalue", "primaryValue", "legacyEstimationFlag", "isReported", "isAggregate", "aggrLevel", "isLeaf",
    "classificationSearchCode", "isOriginalClassification",
)
# SDMX-CSV 1.0 as the OECD Data Explorer downloads it (codes only, attributes after OBS_VALUE).
TIVA_COLUMNS = (
    "DATAFLOW", "MEASURE", "REF_AREA", "ACTIVITY", "COUNTERPART_AREA", "UNIT_MEASURE", "FREQ", "TIME_PERIOD",
    "OBS_VALUE", "UNIT_MULT", "OBS_STATUS", "DECIMALS",
)
TIVA_DATAFLOW = "OECD.STI.PIE:DSD_TIVA_MAINLV@DF_MAINLV(1.1)"
# The other two TiVA dataflows the sample imitates: origin of value added in gross exports (EXGR_BSCI,
# COUNTERPART_AREA = source country) and the shares (EXGR_DVAFXSH, percent). Versions are the sample's choice.
TIVA_ORIGIN_DATAFLOW = "OECD.STI.PIE:DSD_TIVA_EXGRVA@DF_EXGRVA(1.0)"
TIVA_SHARES_DATAFLOW = "OECD.STI.PIE:DSD_TIVA_MAINSH@DF_MAINSH(1.0)"
TIVA_FILES = {"mainlv": TIVA_DATAFLOW, "exgrva": TIVA_ORIGIN_DATAFLOW, "mainsh": TIVA_SHARES_DATAFLOW}
# The issue fixes WLD for the world counterpart; the TiVA 2025 codelist itself calls the world "W".
TIVA_WORLD = "WLD"

# --------------------------------------------------------------------------------------------------
# Countries and reporting coverage
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    iso3: str
    m49: int
    region: str  # "EA" East Asia, "ASEAN", "NA" United States, "EU" Germany


COUNTRIES = (
    Country("JPN", 392, "EA"), Country("KOR", 410, "EA"), Country("CHN", 156, "EA"),
    Country("BRN", 96, "ASEAN"), Country("KHM", 116, "ASEAN"), Country("IDN", 360, "ASEAN"),
    Country("LAO", 418, "ASEAN"), Country("MYS", 458, "ASEAN"), Country("MMR", 104, "ASEAN"),
    Country("PHL", 608, "ASEAN"), Country("SGP", 702, "ASEAN"), Country("THA", 764, "ASEAN"),
    Country("VNM", 704, "ASEAN"), Country("USA", 842, "NA"), Country("DEU", 276, "EU"),
)
ISO3 = tuple(c.iso3 for c in COUNTRIES)
M49 = {c.iso3: c.m49 for c in COUNTRIES}
REGION = {c.iso3: c.region for c in COUNTRIES}
ASEAN = tuple(c.iso3 for c in COUNTRIES if c.region == "ASEAN")
WORLD_CODE, WORLD_ISO = 0, "W00"  # Comtrade+ writes the World partner as 0 / W00

# Late starters in Comtrade (their partners still report, so mirror data fills the gap).
FIRST_REPORTED_YEAR = {"KHM": 2000, "VNM": 2000, "LAO": 2005, "MMR": 2010}


def reports_in(iso3: str, year: int) -> bool:
    """True when the country submits its own Comtrade data for the year in the sample."""
    return year >= FIRST_REPORTED_YEAR.get(iso3, 0)


@functools.cache
def vintage_for_year(year: int) -> str:
    """HS vintage every reporter uses for the year in the sample (H0 1995 ... H6 2022-23)."""
    for first, vintage in ((2022, "H6"), (2017, "H5"), (2012, "H4"), (2007, "H3"), (2002, "H2"), (1996, "H1")):
        if year >= first:
            return vintage
    return "H0"


# --------------------------------------------------------------------------------------------------
# Deterministic noise
# --------------------------------------------------------------------------------------------------

_STD_NORMAL = NormalDist()
_TWO_TO_MINUS_64 = 2.0**-64


class Noise:
    """Random numbers that are a pure function of (seed, key), for draws that must not depend on loop order."""

    def __init__(self, seed: int) -> None:
        self._prefix = f"rvc-sample|{seed}|".encode()
        self._persistent: dict[tuple, float] = {}

    def uniform(self, *key: object) -> float:
        digest = hashlib.blake2b(self._prefix + "|".join(map(str, key)).encode(), digest_size=8).digest()
        return (int.from_bytes(digest, "big") + 0.5) * _TWO_TO_MINUS_64

    def between(self, low: float, high: float, *key: object) -> float:
        return low + (high - low) * self.uniform(*key)

    def lognormal(self, sigma: float, *key: object) -> float:
        return lognormal_of(self.uniform(*key), sigma)

    def persistent_uniform(self, *key: object) -> float:
        """`uniform`, cached: used for draws that hold across years and are asked for every year."""
        if key not in self._persistent:
            self._persistent[key] = self.uniform(*key)
        return self._persistent[key]

    def persistent_lognormal(self, sigma: float, *key: object) -> float:
        cache_key = ("lognormal", sigma, *key)
        if cache_key not in self._persistent:
            self._persistent[cache_key] = lognormal_of(self.persistent_uniform(*key), sigma)
        return self._persistent[cache_key]


def lognormal_of(u: float, sigma: float) -> float:
    """exp(sigma * z) for the standard normal quantile z of the uniform draw u (median 1)."""
    return math.exp(sigma * _STD_NORMAL.inv_cdf(u))


def jitter(rng: random.Random, sigma: float) -> float:
    """A lognormal factor with median 1 from a yearly stream (sigma is the log standard deviation)."""
    return math.exp(sigma * rng.gauss(0.0, 1.0))


def between_of(u: float, low: float, high: float) -> float:
    return low + (high - low) * u


def interpolate(anchors: dict[int, float], year: int, log: bool = True) -> float:
    """Value in `year` on the path through `anchors` (log-linear between anchors, flat outside)."""
    years = sorted(anchors)
    if year <= years[0]:
        return anchors[years[0]]
    if year >= years[-1]:
        return anchors[years[-1]]
    for left, right in zip(years, years[1:]):
        if left <= year <= right:
            weight = (year - left) / (right - left)
            a, b = anchors[left], anchors[right]
            if log:
                return math.exp(math.log(a) + weight * (math.log(b) - math.log(a)))
            return a + weight * (b - a)
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------------------------------
# Magnitudes (billion US$, current prices). Rounded published orders of magnitude (UN Comtrade / WTO /
# BACI); the sample-specific calibration targets from the issue are in BILATERAL_ANCHORS_BN.
# --------------------------------------------------------------------------------------------------

B = 1e9

TOTAL_EXPORTS_BN = {
    "JPN": {1995: 443, 2008: 781, 2012: 799, 2023: 717}, "DEU": {1995: 524, 2008: 1466, 2023: 1688},
    "USA": {1995: 585, 2008: 1300, 2023: 2020}, "CHN": {1995: 149, 2008: 1430, 2023: 3380},
    "KOR": {1995: 125, 2008: 422, 2023: 632}, "THA": {1995: 56, 2008: 178, 2023: 285},
    "MYS": {1995: 74, 2008: 199, 2023: 313}, "IDN": {1995: 45, 2008: 137, 2023: 259},
    "SGP": {1995: 118, 2008: 338, 2023: 476}, "PHL": {1995: 17, 2008: 49, 2023: 74},
    "VNM": {1995: 5.4, 2008: 63, 2023: 355}, "KHM": {1995: 0.85, 2008: 4.7, 2023: 24},
    "LAO": {1995: 0.31, 2008: 1.1, 2023: 8}, "MMR": {1995: 0.85, 2008: 6.9, 2023: 16},
    "BRN": {1995: 2.4, 2008: 10.3, 2023: 11},
}
TOTAL_IMPORTS_BN = {
    "JPN": {1995: 336, 2008: 762, 2023: 786}, "DEU": {1995: 464, 2008: 1200, 2023: 1460},
    "USA": {1995: 771, 2008: 2170, 2023: 3170}, "CHN": {1995: 132, 2008: 1133, 2023: 2560},
    "KOR": {1995: 135, 2008: 435, 2023: 642}, "THA": {1995: 71, 2008: 179, 2023: 290},
    "MYS": {1995: 78, 2008: 157, 2023: 292}, "IDN": {1995: 40, 2008: 129, 2023: 222},
    "SGP": {1995: 124, 2008: 320, 2023: 423}, "PHL": {1995: 28, 2008: 57, 2023: 126},
    "VNM": {1995: 8, 2008: 81, 2023: 327}, "KHM": {1995: 1.2, 2008: 6.5, 2023: 27},
    "LAO": {1995: 0.6, 2008: 1.4, 2023: 7.6}, "MMR": {1995: 1.3, 2008: 4.3, 2023: 17},
    "BRN": {1995: 2.1, 2008: 2.6, 2023: 9},
}

# A pair trading this much of a group trades every line of it; smaller pairs trade fewer lines.
LINE_PRESENCE_FULL_USD = 200e6

AUTO_GROUPS = ("cars", "commercial", "bodies", "parts", "engines")
OTHER_GROUPS = ("tyres", "wiring", "coffee")
GROUPS = AUTO_GROUPS + OTHER_GROUPS

# World exports of each group by exporter; an exporter absent for a group does not export it.
# Thai automotive (the five auto groups) sums to 0.50 bn in 1995 and 28.0 bn in 2008.
GROUP_EXPORTS_BN = {
    ("JPN", "cars"): {1995: 50, 2008: 100, 2012: 90, 2016: 88, 2023: 95},
    ("DEU", "cars"): {1995: 55, 2008: 150, 2023: 170}, ("USA", "cars"): {1995: 15, 2008: 40, 2023: 55},
    ("KOR", "cars"): {1995: 6.5, 2008: 30, 2023: 62},
    ("CHN", "cars"): {1995: 0.05, 2008: 1.5, 2015: 4, 2020: 8, 2023: 70},
    ("THA", "cars"): {1995: 0.05, 2008: 8.5, 2023: 14}, ("IDN", "cars"): {1995: 0.01, 2008: 0.5, 2023: 5.5},
    ("MYS", "cars"): {1995: 0.02, 2008: 0.15, 2023: 0.4}, ("PHL", "cars"): {1995: 0.005, 2008: 0.05, 2023: 0.05},
    ("SGP", "cars"): {1995: 0.3, 2008: 1.5, 2023: 2.5}, ("VNM", "cars"): {1995: 0.0005, 2008: 0.02, 2023: 0.1},
    ("JPN", "commercial"): {1995: 8, 2008: 15, 2023: 10}, ("THA", "commercial"): {1995: 0.15, 2008: 9.5, 2023: 11},
    ("USA", "commercial"): {1995: 6, 2008: 12, 2023: 15}, ("DEU", "commercial"): {1995: 5, 2008: 15, 2023: 18},
    ("KOR", "commercial"): {1995: 0.8, 2008: 3, 2023: 2}, ("CHN", "commercial"): {1995: 0.05, 2008: 3, 2023: 15},
    ("IDN", "commercial"): {1995: 0.01, 2008: 0.3, 2023: 1.0},
    ("MYS", "commercial"): {1995: 0.005, 2008: 0.03, 2023: 0.05},
    ("SGP", "commercial"): {1995: 0.05, 2008: 0.2, 2023: 0.3},
    ("VNM", "commercial"): {1995: 0.0005, 2008: 0.01, 2023: 0.05},
    ("JPN", "parts"): {1995: 16, 2008: 32, 2023: 30}, ("DEU", "parts"): {1995: 18, 2008: 55, 2023: 62},
    ("USA", "parts"): {1995: 22, 2008: 35, 2023: 42}, ("KOR", "parts"): {1995: 0.8, 2008: 10, 2015: 22, 2023: 20},
    ("CHN", "parts"): {1995: 0.4, 2008: 12, 2023: 48}, ("THA", "parts"): {1995: 0.25, 2008: 6.5, 2023: 10.5},
    ("IDN", "parts"): {1995: 0.1, 2008: 1.3, 2023: 2.6}, ("MYS", "parts"): {1995: 0.08, 2008: 0.5, 2023: 1.5},
    ("PHL", "parts"): {1995: 0.3, 2008: 1.3, 2023: 1.4}, ("SGP", "parts"): {1995: 0.4, 2008: 1.0, 2023: 1.0},
    ("VNM", "parts"): {1995: 0.005, 2008: 0.25, 2023: 2.0}, ("KHM", "parts"): {1995: 0.0005, 2012: 0.01, 2023: 0.15},
    ("JPN", "bodies"): {1995: 1.2, 2008: 1.5, 2023: 1.0}, ("DEU", "bodies"): {1995: 1.0, 2008: 2.5, 2023: 3.0},
    ("USA", "bodies"): {1995: 1.5, 2008: 2.0, 2023: 2.5}, ("THA", "bodies"): {1995: 0.02, 2008: 1.0, 2023: 1.2},
    ("KOR", "bodies"): {1995: 0.1, 2008: 0.6, 2023: 1.0}, ("CHN", "bodies"): {1995: 0.01, 2008: 0.5, 2023: 3.0},
    ("IDN", "bodies"): {1995: 0.005, 2008: 0.08, 2023: 0.2},
    ("JPN", "engines"): {1995: 4, 2008: 8, 2023: 6}, ("DEU", "engines"): {1995: 4, 2008: 10, 2023: 8},
    ("USA", "engines"): {1995: 3, 2008: 6, 2023: 5}, ("THA", "engines"): {1995: 0.03, 2008: 2.5, 2023: 3.5},
    ("KOR", "engines"): {1995: 0.2, 2008: 2, 2023: 2.5}, ("CHN", "engines"): {1995: 0.05, 2008: 1.5, 2023: 5},
    ("IDN", "engines"): {1995: 0.01, 2008: 0.4, 2023: 1.0}, ("MYS", "engines"): {1995: 0.01, 2008: 0.05, 2023: 0.1},
    ("PHL", "engines"): {1995: 0.01, 2008: 0.2, 2023: 0.1}, ("VNM", "engines"): {1995: 0.0005, 2008: 0.01, 2023: 0.3},
    ("SGP", "engines"): {1995: 0.1, 2008: 0.3, 2023: 0.3},
    ("THA", "tyres"): {1995: 0.1, 2008: 1.5, 2023: 4.0}, ("JPN", "tyres"): {1995: 1.5, 2008: 3, 2023: 2.5},
    ("CHN", "tyres"): {1995: 0.05, 2008: 3, 2023: 8}, ("KOR", "tyres"): {1995: 0.5, 2008: 2, 2023: 2.5},
    ("DEU", "tyres"): {1995: 1, 2008: 2.5, 2023: 2.5}, ("USA", "tyres"): {1995: 0.8, 2008: 1.5, 2023: 1.5},
    ("IDN", "tyres"): {1995: 0.1, 2008: 0.8, 2023: 1.5}, ("MYS", "tyres"): {1995: 0.05, 2008: 0.2, 2023: 0.4},
    ("VNM", "tyres"): {1995: 0.001, 2008: 0.1, 2023: 0.9},
    ("PHL", "wiring"): {1995: 0.3, 2008: 1.5, 2023: 2.5}, ("VNM", "wiring"): {1995: 0.005, 2008: 0.6, 2023: 3.5},
    ("IDN", "wiring"): {1995: 0.1, 2008: 0.6, 2023: 1.0}, ("THA", "wiring"): {1995: 0.1, 2008: 0.8, 2023: 1.5},
    ("CHN", "wiring"): {1995: 0.3, 2008: 3, 2023: 8}, ("JPN", "wiring"): {1995: 1.0, 2008: 1.5, 2023: 1.0},
    ("KHM", "wiring"): {1995: 0.0001, 2012: 0.01, 2023: 0.3}, ("MYS", "wiring"): {1995: 0.1, 2008: 0.4, 2023: 0.5},
    ("USA", "wiring"): {1995: 2, 2008: 3, 2023: 4}, ("DEU", "wiring"): {1995: 1, 2008: 2.5, 2023: 3},
    ("KOR", "wiring"): {1995: 0.2, 2008: 0.5, 2023: 0.6}, ("LAO", "wiring"): {1995: 0.0001, 2015: 0.01, 2023: 0.1},
    ("VNM", "coffee"): {1995: 0.5, 2008: 2.0, 2023: 4.0}, ("IDN", "coffee"): {1995: 0.6, 2008: 0.9, 2023: 1.0},
    ("LAO", "coffee"): {1995: 0.01, 2008: 0.03, 2023: 0.1},
}

# Bilateral paths fixed to published figures (BACI, US$; the sample ends in 2023 and is calibrated to the
# 2024 figures there). The rest of each exporter's sample-partner trade follows a gravity split.
BILATERAL_ANCHORS_BN = {
    ("JPN", "THA", "parts"): {1995: 1.52, 2008: 2.9, 2013: 3.6, 2023: 2.09},
    ("JPN", "IDN", "parts"): {1995: 1.61, 2008: 1.5, 2013: 2.2, 2023: 1.19},
    ("JPN", "USA", "parts"): {1995: 6.0, 2008: 8.0, 2023: 7.0},
    ("JPN", "CHN", "parts"): {1995: 0.5, 2008: 5.0, 2023: 6.0},
    ("JPN", "MYS", "cars"): {1995: 1.25, 2008: 0.9, 2023: 0.64},
    ("JPN", "USA", "cars"): {1995: 22.6, 2008: 36.0, 2023: 40.7},
    ("JPN", "CHN", "cars"): {1995: 0.4, 2008: 4.0, 2013: 6.0, 2023: 5.5},
    ("THA", "JPN", "parts"): {1995: 0.04, 2008: 0.8, 2023: 0.93},
    ("THA", "MYS", "parts"): {1995: 0.01, 2008: 0.35, 2023: 1.10},
    ("THA", "PHL", "cars"): {1995: 0.001, 2000: 0.05, 2008: 0.45, 2023: 1.26},
    ("CHN", "THA", "parts"): {1995: 0.002, 2008: 0.15, 2023: 1.1},
    ("IDN", "THA", "parts"): {1995: 0.005, 2008: 0.25, 2023: 0.5},
}

# Share of an exporter's world exports that goes to the 14 other sample countries (the rest goes to
# Australia, Mexico, Europe, the Middle East ... which the sample only sees in World rows).
EXPORT_COVERAGE = {"JPN": 0.75, "DEU": 0.3, "USA": 0.3, "KOR": 0.5, "CHN": 0.45}
EXPORT_COVERAGE_GROUP = {
    ("JPN", "cars"): 0.55, ("THA", "cars"): 0.4, ("THA", "commercial"): 0.25, ("USA", "parts"): 0.2,
    ("USA", "cars"): 0.25, ("IDN", "cars"): 0.45, ("CHN", "cars"): 0.25, ("VNM", "coffee"): 0.35,
    ("IDN", "coffee"): 0.4,
}
# Share of an importer's world imports that comes from the 14 other sample countries.
IMPORT_COVERAGE = {"USA": 0.45, "DEU": 0.35}

# Relative demand of each importer for a group (assembly hubs buy parts, small markets buy built-up cars).
DEMAND = {
    "parts": {"THA": 2.5, "IDN": 1.8, "MYS": 1.5, "VNM": 1.2, "CHN": 1.4, "USA": 1.3, "JPN": 0.5, "KOR": 0.6,
              "SGP": 0.5, "BRN": 0.1, "KHM": 0.3, "LAO": 0.3, "MMR": 0.3},
    "cars": {"JPN": 0.3, "KOR": 0.4, "CHN": 0.8, "USA": 1.5, "DEU": 0.8, "THA": 0.6, "IDN": 0.6, "MYS": 0.9,
             "PHL": 1.2, "SGP": 1.4, "BRN": 2.0, "KHM": 1.5, "LAO": 1.5, "MMR": 1.2},
    "commercial": {"JPN": 0.2, "KOR": 0.3, "CHN": 0.6, **{iso: 1.5 for iso in ASEAN}},
    "bodies": {"THA": 2.0, "IDN": 1.5, "MYS": 1.5, "JPN": 0.4, "BRN": 0.1},
    "engines": {"THA": 2.0, "IDN": 1.5, "MYS": 1.3, "VNM": 1.2, "CHN": 1.3, "JPN": 0.4, "BRN": 0.1},
    "tyres": {"USA": 1.5},
    "wiring": {"JPN": 3.0, "USA": 1.5, "THA": 1.5},
    "coffee": {"USA": 2.0, "DEU": 2.0, "JPN": 1.5, "KOR": 0.8, "THA": 0.3},
}
NEIGHBOURS = {frozenset(p) for p in (("THA", "LAO"), ("THA", "KHM"), ("THA", "MMR"), ("VNM", "KHM"),
                                     ("VNM", "LAO"), ("MYS", "SGP"), ("MYS", "BRN"), ("SGP", "IDN"),
                                     ("MYS", "IDN"), ("SGP", "BRN"))}

# Shocks multiply every flow of the year: total trade and (more elastic) automotive trade.
GLOBAL_SHOCK_TOTAL = {2001: 0.95, 2009: 0.78, 2015: 0.88, 2016: 0.91, 2020: 0.92}
GLOBAL_SHOCK_AUTO = {2001: 0.97, 2009: 0.66, 2015: 0.94, 2016: 0.97, 2020: 0.80}
# 1997-98 Asian financial crisis hits imports of the crisis economies (Thai car sales fell ~75 %).
CRISIS_IMPORTERS = ("THA", "IDN", "MYS", "PHL", "KOR")
CRISIS_SHOCK_TOTAL = {1997: 0.96, 1998: 0.70, 1999: 0.78, 2000: 0.92, 2001: 0.95}
CRISIS_SHOCK_AUTO = {1997: 0.88, 1998: 0.38, 1999: 0.55, 2000: 0.75, 2001: 0.85, 2002: 0.93}
EXPORTER_SHOCK_AUTO = {("THA", 2011): 0.90, ("JPN", 2011): 0.92}  # Thai floods, Tohoku earthquake


@functools.cache
def total_imports_bn(importer: str, year: int) -> float:
    """World imports of all goods (US$ bn) before shocks: the importer's size in the gravity split."""
    return interpolate(TOTAL_IMPORTS_BN[importer], year)


def proximity(exporter: str, importer: str) -> float:
    """Gravity distance term: regional neighbours trade more, Germany/USA trade less with Southeast Asia."""
    regions = frozenset((REGION[exporter], REGION[importer]))
    base = {
        frozenset(("ASEAN",)): 1.8, frozenset(("EA",)): 1.4, frozenset(("EA", "ASEAN")): 1.3,
        frozenset(("NA", "EA")): 1.0, frozenset(("NA", "EU")): 1.0, frozenset(("NA", "ASEAN")): 0.6,
        frozenset(("EU", "EA")): 0.6, frozenset(("EU", "ASEAN")): 0.4,
    }[regions]
    return base * (3.0 if frozenset((exporter, importer)) in NEIGHBOURS else 1.0)


# --------------------------------------------------------------------------------------------------
# Product lines: which HS6 subheadings each group is reported under in each vintage, and their shares
# --------------------------------------------------------------------------------------------------

CARS_CONVENTIONAL = {"870321": 0.02, "870322": 0.12, "870323": 0.52, "870324": 0.26, "870333": 0.06,
                     "870390": 0.02}
# H5 (2017) split hybrids, plug-ins and battery-electric cars out of 870321-870390.
EV_SHARE_ANCHORS = {  # share of the exporter's car value in 2017 and 2023
    "JPN": {"870340": (0.14, 0.26), "870360": (0.01, 0.04), "870380": (0.002, 0.03)},
    "CHN": {"870340": (0.01, 0.04), "870360": (0.01, 0.12), "870380": (0.05, 0.45)},
    "KOR": {"870340": (0.05, 0.15), "870360": (0.005, 0.02), "870380": (0.02, 0.12)},
    "DEU": {"870340": (0.02, 0.06), "870360": (0.01, 0.08), "870380": (0.01, 0.15)},
    "USA": {"870340": (0.01, 0.03), "870360": (0.005, 0.02), "870380": (0.05, 0.20)},
    "THA": {"870340": (0.02, 0.10), "870360": (0.002, 0.01), "870380": (0.0005, 0.01)},
}
EV_SHARE_DEFAULT = {"870340": (0.01, 0.04), "870360": (0.002, 0.01), "870380": (0.002, 0.02)}
COMMERCIAL = {"870421": 0.65, "870431": 0.35}
BODIES = {"870600": 0.40, "870790": 0.60}
ENGINES = {"840733": 0.15, "840734": 0.55, "840820": 0.30}
# H3 (2007) merged 870831/870839 into 870830 and 870860 into 870850, and split airbags 870895 out of
# 870899; H6 (2022) split safety glass 870822 out of 870829. Shares follow the value across the change.
PARTS_H0_H2 = {"870829": 0.24, "870831": 0.01, "870839": 0.07, "870840": 0.21, "870850": 0.10,
               "870860": 0.01, "870899": 0.36}
PARTS_H3_H5 = {"870829": 0.24, "870830": 0.08, "870840": 0.21, "870850": 0.11, "870895": 0.02, "870899": 0.34}
PARTS_H6 = {**PARTS_H3_H5, "870829": 0.21, "870822": 0.03}
SINGLE_LINE = {"tyres": "401110", "wiring": "854430", "coffee": "090111"}
EXPORTER_TILT = {("DEU", "870324"): 1.6, ("DEU", "870333"): 2.5, ("THA", "870322"): 2.0,
                 ("THA", "870421"): 1.6, ("JPN", "870324"): 1.3}


def base_line_shares(group: str, vintage: str) -> dict[str, float]:
    """HS6 lines of `group` in `vintage` with their base shares of the group's value (sum 1)."""
    if group == "cars":
        return dict(CARS_CONVENTIONAL)
    if group == "parts":
        return dict(PARTS_H0_H2 if vintage in ("H0", "H1", "H2") else PARTS_H6 if vintage == "H6" else PARTS_H3_H5)
    if group in SINGLE_LINE:
        return {SINGLE_LINE[group]: 1.0}
    return dict({"commercial": COMMERCIAL, "bodies": BODIES, "engines": ENGINES}[group])


def lines_in_vintage(vintage: str) -> dict[str, str]:
    """Every HS6 code the sample reports in `vintage`, mapped to its group."""
    lines = {}
    for group in GROUPS:
        for code in base_line_shares(group, vintage):
            lines[code] = group
        if group == "cars" and vintage in ("H5", "H6"):
            lines.update({code: group for code in EV_SHARE_DEFAULT})
    return lines


QTY_UNIT = {"u": ("5", "u"), "kg": ("8", "kg")}  # Comtrade quantity unit codes
# (unit, 1995 US$ per unit, kg per unit); a kg line has 1 kg per unit by definition.
UNIT_VALUES = {
    "870321": ("u", 7000, 900), "870322": ("u", 9500, 1100), "870323": ("u", 14000, 1400),
    "870324": ("u", 26000, 1800), "870333": ("u", 28000, 2100),
    "870390": ("u", 16000, 1500), "870340": ("u", 17000, 1450), "870360": ("u", 24000, 1700),
    "870380": ("u", 30000, 1900), "870421": ("u", 12000, 1900),
    "870431": ("u", 10000, 1500), "870600": ("u", 8000, 1500),
    "870790": ("u", 4000, 900), "840733": ("u", 450, 80), "840734": ("u", 1600, 150),
    "840820": ("u", 3200, 250), "401110": ("u", 45, 9), "854430": ("kg", 11, 1),
    "090111": ("kg", 2.2, 1),
}
PARTS_USD_PER_KG = {"870840": 8.5, "870850": 7.5, "870829": 5.5, "870895": 12.0, "870822": 6.0}
PRICE_LEVEL = {"JPN": 1.1, "DEU": 1.4, "USA": 1.1, "KOR": 0.9, "CHN": 0.7, "THA": 0.85}


def unit_and_price(code: str, exporter: str, year: int) -> tuple[str, float, float]:
    """(unit, US$ per unit, kg per unit) of an exporter's line in `year` (prices drift up 1.5 %/year)."""
    if code in UNIT_VALUES:
        unit, price, kg = UNIT_VALUES[code]
    else:  # 8708 parts, traded by weight
        unit, price, kg = "kg", PARTS_USD_PER_KG.get(code, 6.0), 1
    return unit, price * PRICE_LEVEL.get(exporter, 0.8) * 1.015 ** (year - 1995), kg


# --------------------------------------------------------------------------------------------------
# The trade model: true (unobserved) flows, then what each side reports
# --------------------------------------------------------------------------------------------------


@dataclass
class YearFlows:
    """True flows of one year in US$ (FOB), before any reporting noise."""

    lines: dict[tuple[str, str, str], float]  # (exporter, importer, hs6) -> value
    rest_exports: dict[tuple[str, str], float]  # (exporter, hs6) -> value to non-sample partners
    totals: dict[tuple[str, str], float]  # (exporter, importer) -> all-goods value
    total_exports: dict[str, float]  # exporter -> world all-goods exports
    total_imports: dict[str, float]  # importer -> world all-goods imports (CIF)
    auto_exports: dict[str, float]  # exporter -> world exports of the five automotive groups


class TradeModel:
    """Synthetic but calibrated bilateral trade of the 15 sample countries, 1995-2023.

    Draws that must stay the same across years (pair effects, line tilts, CIF margins) are hashes of
    their key; draws that change every year come from one random stream per year and purpose, consumed
    in the generator's fixed loop order (countries in COUNTRIES order, groups and lines as listed).
    """

    def __init__(self, seed: int = SEED) -> None:
        self.seed = seed
        self.noise = Noise(seed)
        self._tilts: dict[tuple[str, str, str], float] = {}

    def stream(self, purpose: str, year: int) -> random.Random:
        # A str seed is hashed with SHA-512 by random.Random: the stream is the same on every platform.
        return random.Random(f"rvc-sample|{self.seed}|{purpose}|{year}")

    def _auto_shock(self, exporter: str, importer: str, year: int) -> float:
        shock = GLOBAL_SHOCK_AUTO.get(year, 1.0) * EXPORTER_SHOCK_AUTO.get((exporter, year), 1.0)
        if importer in CRISIS_IMPORTERS:
            shock *= CRISIS_SHOCK_AUTO.get(year, 1.0)
        return shock

    def total_shock(self, exporter: str | None, importer: str | None, year: int) -> float:
        shock = GLOBAL_SHOCK_TOTAL.get(year, 1.0)
        if importer in CRISIS_IMPORTERS:
            shock *= CRISIS_SHOCK_TOTAL.get(year, 1.0)
        if exporter in CRISIS_IMPORTERS and year == 1998:
            shock *= 0.93
        return shock

    def _group_partner_values(self, exporter: str, group: str, year: int,
                              rng: random.Random) -> tuple[dict[str, float], float]:
        """Shocked values of `group` from `exporter` to each sample partner, and to the rest of the world."""
        world = interpolate(GROUP_EXPORTS_BN[(exporter, group)], year) * B
        coverage = EXPORT_COVERAGE_GROUP.get((exporter, group), EXPORT_COVERAGE.get(exporter, 0.7))
        explicit = {imp: interpolate(path, year) * B for (exp, imp, grp), path in BILATERAL_ANCHORS_BN.items()
                    if exp == exporter and grp == group}
        pool = max(coverage * world - sum(explicit.values()), 0.1 * coverage * world)
        demand = DEMAND.get(group, {})
        weights = {}
        for importer in ISO3:
            if importer == exporter or importer in explicit:
                continue
            size = total_imports_bn(importer, year)
            persistent = self.noise.persistent_lognormal(1.4, "pair", exporter, importer, group)
            weights[importer] = size * proximity(exporter, importer) * demand.get(importer, 1.0) * persistent
        weight_sum = sum(weights.values())
        values = {}
        for importer in ISO3:
            if importer == exporter:
                continue
            if importer in explicit:
                base, sigma = explicit[importer], 0.02
            else:
                base, sigma = pool * weights[importer] / weight_sum, 0.10
            values[importer] = base * self._auto_shock(exporter, importer, year) * jitter(rng, sigma)
        rest_base = max(world - sum(explicit.values()) - pool, 0.05 * world)
        rest = rest_base * self._auto_shock(exporter, "", year) * jitter(rng, 0.04)
        return values, rest

    def _line_shares(self, exporter: str, importer: str, group: str, year: int,
                     rng: random.Random) -> dict[str, float]:
        vintage = vintage_for_year(year)
        shares = base_line_shares(group, vintage)
        if group == "cars":
            if exporter == "CHN" and 2010 <= year <= 2016:  # battery-electric cars sat in 870390 before H5
                shares["870390"] += 0.01 * (year - 2009)
            if vintage in ("H5", "H6"):
                anchors = EV_SHARE_ANCHORS.get(exporter, EV_SHARE_DEFAULT)
                ev = {code: interpolate({2017: a, 2023: b}, year, log=False) for code, (a, b) in anchors.items()}
                conventional = 1.0 - sum(ev.values())
                shares = {code: s * conventional for code, s in shares.items()} | ev
        tilted = {code: share * self._stable_tilt(exporter, importer, code) * jitter(rng, 0.05)
                  for code, share in shares.items()}
        total = sum(tilted.values())
        return {code: value / total for code, value in tilted.items()}

    def _stable_tilt(self, exporter: str, importer: str, code: str) -> float:
        """How much more of a line this exporter (and pair) trades than the group average; fixed over time."""
        key = (exporter, importer, code)
        if key not in self._tilts:
            self._tilts[key] = (EXPORTER_TILT.get((exporter, code), 1.0)
                                * self.noise.persistent_lognormal(0.25, "tilt", exporter, code)
                                * self.noise.persistent_lognormal(0.15, "tilt", exporter, importer, code))
        return self._tilts[key]

    def _traded_lines(self, exporter: str, importer: str, value: float, shares: dict[str, float]) -> list[str]:
        """The lines a pair actually trades: all of them for large flows, a stable few for small ones."""
        presence = max(min(1.0, math.sqrt(value / LINE_PRESENCE_FULL_USD)), 0.15)
        main = max(shares, key=shares.get)
        return [code for code in shares
                if code == main or self.noise.persistent_uniform("line", exporter, importer, code) < presence]

    def year_flows(self, year: int) -> YearFlows:
        """Every true flow of `year`: HS6 lines between sample countries, rest-of-world exports, totals."""
        rng = self.stream("flows", year)
        lines: dict[tuple[str, str, str], float] = {}
        rest_exports: dict[tuple[str, str], float] = {}
        auto_exports: dict[str, float] = defaultdict(float)
        for (exporter, group) in GROUP_EXPORTS_BN:
            partner_values, rest = self._group_partner_values(exporter, group, year, rng)
            if group in AUTO_GROUPS:
                auto_exports[exporter] += sum(partner_values.values()) + rest
            for code, share in self._line_shares(exporter, "", group, year, rng).items():
                rest_exports[(exporter, code)] = rest * share
            for importer, value in partner_values.items():
                shares = self._line_shares(exporter, importer, group, year, rng)
                traded = self._traded_lines(exporter, importer, value, shares)
                kept = sum(shares[code] for code in traded)
                for code in traded:
                    lines[(exporter, importer, code)] = value * shares[code] / kept
        line_sums: dict[tuple[str, str], float] = defaultdict(float)
        for (exporter, importer, _), value in lines.items():
            line_sums[(exporter, importer)] += value

        totals = {}
        total_exports = {}
        for exporter in ISO3:
            world = interpolate(TOTAL_EXPORTS_BN[exporter], year) * B
            coverage = 0.6 if exporter not in ("DEU", "USA") else 0.35
            weights = {imp: total_imports_bn(imp, year) * proximity(exporter, imp)
                       * self.noise.persistent_lognormal(0.3, "total-pair", exporter, imp)
                       for imp in ISO3 if imp != exporter}
            weight_sum = sum(weights.values())
            for importer, weight in weights.items():
                gravity = (world * coverage * weight / weight_sum * self.total_shock(exporter, importer, year)
                           * jitter(rng, 0.05))
                # Totals must exceed the sampled lines with room for the lines the sample does not carry.
                totals[(exporter, importer)] = max(gravity, 3.0 * line_sums[(exporter, importer)])
            shocked_world = world * self.total_shock(exporter, None, year)
            sent = sum(totals[(exporter, imp)] for imp in weights)
            total_exports[exporter] = max(shocked_world, sent / 0.85)
        total_imports = {}
        for importer in ISO3:
            world = total_imports_bn(importer, year) * B * self.total_shock(None, importer, year)
            received = sum(totals[(exp, importer)] for exp in ISO3 if exp != importer)
            total_imports[importer] = max(world, received * 1.06 / 0.8)
        return YearFlows(lines, rest_exports, totals, total_exports, total_imports, dict(auto_exports))


# --------------------------------------------------------------------------------------------------
# Comtrade+ rows (lists of text in COMTRADE_COLUMNS order)
# --------------------------------------------------------------------------------------------------

AGGREGATE_REPORTERS = ("JPN", "THA", "CHN", "USA", "DEU")  # also publish 2- and 4-digit aggregates here
ROW_THRESHOLD_USD = 500_000  # smaller flows are left out of the partner breakdown (sparse, like real extracts)

FIELD = {name: index for index, name in enumerate(COMTRADE_COLUMNS)}
_REPORTER_CODE, _REPORTER_ISO, _FLOW = FIELD["reporterCode"], FIELD["reporterISO"], FIELD["flowCode"]
_PARTNER_CODE, _PARTNER_ISO, _PARTNER2 = FIELD["partnerCode"], FIELD["partnerISO"], FIELD["partner2Code"]
_CMD, _CUSTOMS, _MOT = FIELD["cmdCode"], FIELD["customsCode"], FIELD["motCode"]
_AGGR, _LEAF = FIELD["aggrLevel"], FIELD["isLeaf"]
_QTY_UNIT, _QTY_ABBR, _QTY = FIELD["qtyUnitCode"], FIELD["qtyUnitAbbr"], FIELD["qty"]
_QTY_EST = FIELD["isQtyEstimated"]
_NET, _NET_EST, _LEGACY_FLAG = FIELD["netWgt"], FIELD["isNetWgtEstimated"], FIELD["legacyEstimationFlag"]
_CIF, _FOB, _PRIMARY = FIELD["cifvalue"], FIELD["fobvalue"], FIELD["primaryValue"]
_IS_REPORTED, _IS_AGGREGATE = FIELD["isReported"], FIELD["isAggregate"]
_PARTNER_FIELDS = {None: (str(WORLD_CODE), WORLD_ISO), **{iso: (str(M49[iso]), iso) for iso in ISO3}}
_SMALL_REPORTERS = ("KHM", "LAO", "MMR", "BRN")  # estimate quantities far more often


def _fmt_number(value: float) -> str:
    return f"{value:.0f}"  # Comtrade values are whole US$, kg and units


def _row_template(year: int) -> list[str]:
    """Defaults of an annual, as-reported, all-procedures, all-modes total row of `year`."""
    defaults = {
        "typeCode": "C", "freqCode": "A", "refPeriodId": f"{year}0101", "refYear": str(year), "refMonth": "52",
        "period": str(year), "partner2Code": "0", "classificationCode": vintage_for_year(year),
        "customsCode": "C00", "motCode": "0", "mosCode": "0", "qtyUnitCode": "-1", "qtyUnitAbbr": "N/A",
        "isQtyEstimated": "0", "altQtyUnitCode": "-1", "isAltQtyEstimated": "0", "isNetWgtEstimated": "0",
        "isGrossWgtEstimated": "0", "legacyEstimationFlag": "0", "isReported": "1", "isAggregate": "0",
        "classificationSearchCode": "HS", "isOriginalClassification": "1",
    }
    # Booleans are written 0/1 as in the bulk files; empty text is a null.
    return [defaults.get(name, "") for name in COMTRADE_COLUMNS]


class ComtradeYear:
    """Builds the rows of one year's bulk file from the true flows."""

    def __init__(self, model: TradeModel, year: int) -> None:
        self.model, self.year, self.noise = model, year, model.noise
        self.rng = model.stream("reports", year)
        self.flows = model.year_flows(year)
        self.groups = lines_in_vintage(vintage_for_year(year))
        self.template = _row_template(year)
        self.rows: list[list[str]] = []

    def record(self, reporter: str, flow: str, partner: str | None, cmd: str) -> list[str]:
        """A new row for one reporter, flow, partner (None = World) and commodity code."""
        row = self.template.copy()
        row[_REPORTER_CODE], row[_REPORTER_ISO], row[_FLOW] = str(M49[reporter]), reporter, flow
        row[_PARTNER_CODE], row[_PARTNER_ISO] = _PARTNER_FIELDS[partner]
        digits = 0 if cmd == "TOTAL" else len(cmd)
        row[_CMD], row[_AGGR], row[_LEAF] = cmd, str(digits), "1" if digits == 6 else "0"
        return row

    @staticmethod
    def set_value(row: list[str], value: float, fob_also: float | None = None) -> None:
        text = _fmt_number(value)
        row[_PRIMARY] = text
        if row[_FLOW] in ("M", "RM"):
            row[_CIF] = text
            if fob_also is not None:
                row[_FOB] = _fmt_number(fob_also)
        else:
            row[_FOB] = text

    def cif_factor(self, exporter: str, importer: str) -> float:
        """Importer's CIF over exporter's FOB: freight and insurance, 2-8 % (stable per pair)."""
        return 1.02 + 0.06 * self.noise.persistent_uniform("cif", exporter, importer)

    def reported_export(self, exporter: str, importer: str, code: str) -> float | None:
        """The exporter's FOB report of a line, or None when the flow is too small to be in the sample."""
        value = self.flows.lines.get((exporter, importer, code), 0.0)
        if value < ROW_THRESHOLD_USD * 0.5 or value < ROW_THRESHOLD_USD * between_of(self.rng.random(), 0.5, 2.0):
            return None
        return value * jitter(self.rng, 0.02)

    def reported_import(self, exporter: str, importer: str, code: str) -> float | None:
        """The importer's CIF report of a line, or None when the flow is too small to be in the sample."""
        value = self.flows.lines.get((exporter, importer, code), 0.0)
        if value < ROW_THRESHOLD_USD * 0.5 or value < ROW_THRESHOLD_USD * between_of(self.rng.random(), 0.5, 2.0):
            return None
        cif = value * self.cif_factor(exporter, importer) * jitter(self.rng, 0.03)
        u_discrepancy = self.rng.random()
        if u_discrepancy < 0.015:  # genuine mirror discrepancies: misclassification, timing, valuation
            cif *= between_of(self.rng.random(), 0.5, 0.75)
        elif u_discrepancy > 0.985:
            cif *= between_of(self.rng.random(), 1.3, 1.6)
        return cif

    def line_row(self, reporter: str, flow: str, partner: str | None, code: str, value: float,
                 exporter: str, fob_also: float | None = None) -> list[str]:
        """An HS6 row with value, quantity in the line's unit, net weight and estimation flags."""
        row = self.record(reporter, flow, partner, code)
        self.set_value(row, value, fob_also)
        unit, price, kg_per_unit = unit_and_price(code, exporter, self.year)
        random_draw = self.rng.random
        qty = max(value / price * jitter(self.rng, 0.08), 1.0)
        net = qty * kg_per_unit * jitter(self.rng, 0.05)
        small = reporter in _SMALL_REPORTERS
        qty_estimated = random_draw() < (0.3 if small else 0.04)
        net_estimated = random_draw() < (0.2 if small else 0.03)
        row[_QTY_UNIT], row[_QTY_ABBR] = QTY_UNIT[unit]
        row[_QTY] = _fmt_number(net if unit == "kg" else qty)
        row[_NET] = _fmt_number(net)
        row[_QTY_EST], row[_NET_EST] = ("1" if qty_estimated else "0"), ("1" if net_estimated else "0")
        # Legacy estimation flag bits as Comtrade documents them: 2 quantity, 4 net weight estimated.
        row[_LEGACY_FLAG] = str(2 * qty_estimated + 4 * net_estimated)
        self.rows.append(row)
        return row

    def build(self) -> list[list[str]]:
        for reporter in ISO3:
            if reports_in(reporter, self.year):
                self._exports_of(reporter)
                self._imports_of(reporter)
                self._totals_of(reporter)
        return self.rows

    def _exports_of(self, reporter: str) -> None:
        heading_values: dict[tuple[str | None, str], float] = defaultdict(float)
        for code, group in self.groups.items():
            if (reporter, group) not in GROUP_EXPORTS_BN:
                continue
            world = self.flows.rest_exports.get((reporter, code), 0.0)
            for partner in ISO3:
                if partner == reporter:
                    continue
                reported = self.reported_export(reporter, partner, code)
                if reported is None:
                    world += self.flows.lines.get((reporter, partner, code), 0.0)
                    continue
                world += reported
                self.line_row(reporter, "X", partner, code, reported, reporter)
                self._add_to_headings(heading_values, partner, code, reported)
                if reporter == "SGP" and partner in ASEAN and group in ("cars", "parts"):
                    # Singapore's exports are mostly re-exports; RX is a subset of X.
                    share = between_of(self.rng.random(), 0.55, 0.8)
                    self.line_row(reporter, "RX", partner, code, reported * share, reporter)
            if world >= ROW_THRESHOLD_USD / 10:
                self.line_row(reporter, "X", None, code, world, reporter)
                self._add_to_headings(heading_values, None, code, world)
        self._heading_rows(reporter, "X", heading_values)

    def _imports_of(self, reporter: str) -> None:
        heading_values: dict[tuple[str | None, str], float] = defaultdict(float)
        for code, group in self.groups.items():
            from_sample = 0.0
            for partner in ISO3:
                if partner == reporter or (partner, group) not in GROUP_EXPORTS_BN:
                    continue
                reported = self.reported_import(partner, reporter, code)
                if reported is None:
                    true_value = self.flows.lines.get((partner, reporter, code), 0.0)
                    from_sample += true_value * self.cif_factor(partner, reporter)
                    continue
                from_sample += reported
                # The United States values imports both CIF and FOB (customs value).
                fob = None
                if reporter == "USA":
                    fob = self.flows.lines[(partner, reporter, code)] * jitter(self.rng, 0.01)
                self.line_row(reporter, "M", partner, code, reported, partner, fob)
                self._add_to_headings(heading_values, partner, code, reported)
            if from_sample < ROW_THRESHOLD_USD / 10:
                continue
            coverage = IMPORT_COVERAGE.get(reporter, 0.85) * between_of(self.rng.random(), 0.95, 1.05)
            world = from_sample / min(coverage, 0.9)
            self.line_row(reporter, "M", None, code, world, reporter)
            self._add_to_headings(heading_values, None, code, world)
        self._heading_rows(reporter, "M", heading_values)

    @staticmethod
    def _add_to_headings(values: dict[tuple[str | None, str], float], partner: str | None, code: str,
                         value: float) -> None:
        if code.startswith("87"):
            values[(partner, "87")] += value
        if code.startswith("8708"):
            values[(partner, "8708")] += value

    def _heading_rows(self, reporter: str, flow: str, values: dict[tuple[str | None, str], float]) -> None:
        if reporter not in AGGREGATE_REPORTERS:
            return
        for (partner, heading), value in sorted(values.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
            # Aggregates also hold the subheadings the sample does not carry (motorcycles, trailers, ...).
            low, high = (1.10, 1.30) if heading == "87" else (1.03, 1.10)
            row = self.record(reporter, flow, partner, heading)
            self.set_value(row, value * between_of(self.rng.random(), low, high))
            row[_IS_AGGREGATE], row[_IS_REPORTED] = "1", "0"
            self.rows.append(row)

    def _totals_of(self, reporter: str) -> None:
        sent = 0.0
        for partner in ISO3:
            if partner == reporter:
                continue
            value = self.flows.totals[(reporter, partner)] * jitter(self.rng, 0.01)
            sent += value
            self._total_row(reporter, "X", partner, value)
        self._total_row(reporter, "X", None, max(self.flows.total_exports[reporter], sent * 1.1))
        received = 0.0
        for partner in ISO3:
            if partner == reporter:
                continue
            value = (self.flows.totals[(partner, reporter)] * self.cif_factor(partner, reporter)
                     * jitter(self.rng, 0.015))
            if reporter == "USA" and partner == "CHN":
                value *= 1.2  # goods re-exported through Hong Kong count as Chinese at the US border
            received += value
            self._total_row(reporter, "M", partner, value)
        self._total_row(reporter, "M", None, max(self.flows.total_imports[reporter], received * 1.1))

    def _total_row(self, reporter: str, flow: str, partner: str | None, value: float) -> None:
        row = self.record(reporter, flow, partner, "TOTAL")
        self.set_value(row, value)
        self.rows.append(row)


def _sort_key(row: list[str]) -> tuple:
    return (int(row[_REPORTER_CODE]), row[_FLOW], int(row[_PARTNER_CODE]), row[_CMD], int(row[_PARTNER2]),
            row[_CUSTOMS], int(row[_MOT]))


# --------------------------------------------------------------------------------------------------
# Planted quirks: breakdown rows, duplicates, bad values. Each is listed (with counts) in README.md.
# --------------------------------------------------------------------------------------------------


@dataclass
class QuirkLog:
    entries: list[tuple[str, int, str]]  # (kind, year, description)

    def add(self, kind: str, year: int, description: str) -> None:
        self.entries.append((kind, year, description))

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for kind, _, _ in self.entries:
            out[kind] += 1
        return dict(sorted(out.items()))


def _find(rows: list[list[str]], **criteria: str) -> list[str]:
    """The first row whose named fields have the given values (a planted quirk needs its target row)."""
    wanted = [(FIELD[name], value) for name, value in criteria.items()]
    for row in rows:
        if all(row[index] == value for index, value in wanted):
            return row
    raise LookupError(f"no row with {criteria}: the model changed, move the planted quirk")


def _breakdown_copy(total: list[str], share: float, **changes: str) -> list[str]:
    row = total.copy()
    for name, value in changes.items():
        row[FIELD[name]] = value
    for name in ("primaryValue", "cifvalue", "fobvalue", "qty", "netWgt"):
        if row[FIELD[name]]:
            row[FIELD[name]] = _fmt_number(float(row[FIELD[name]]) * share)
    return row


def plant_breakdowns(rows: list[list[str]], year: int, log: QuirkLog) -> None:
    """Comtrade+ breakdown rows beside the totals: by mode of transport, customs procedure, 2nd partner."""
    extra = []
    if year >= 2019:
        for partner in ("THA", "IDN"):
            for code in ("870840", "870899", "870829"):
                total = _find(rows, reporterISO="JPN", flowCode="X", partnerISO=partner, cmdCode=code)
                # Sea and air do not add up to the total: the rest went by other or unknown modes.
                extra.append(_breakdown_copy(total, 0.86, motCode="2100"))
                extra.append(_breakdown_copy(total, 0.08, motCode="1000"))
                log.add("breakdown_motCode", year, f"JPN X {partner} {code}: motCode 2100 and 1000")
        total = _find(rows, reporterISO="THA", flowCode="M", partnerISO="JPN", cmdCode="870840")
        extra.append(_breakdown_copy(total, 0.62, customsCode="C01"))
        log.add("breakdown_customsCode", year, "THA M JPN 870840: customsCode C01")
    consigned = {"LAO": (2015, ("870323", "870421")), "KHM": (2018, ("870323",))}
    for reporter, (first, codes) in consigned.items():
        if year < first:
            continue
        for code in codes:
            total = _find(rows, reporterISO=reporter, flowCode="M", partnerISO="JPN", cmdCode=code)
            # Japanese cars landed in Thailand and trucked on: partner2 (consignment) Thailand.
            extra.append(_breakdown_copy(total, 0.7, partner2Code=str(M49["THA"])))
            log.add("breakdown_partner2Code", year, f"{reporter} M JPN {code}: partner2Code 764")
    rows.extend(extra)


DUPLICATE_YEARS = {2003: "IDN", 2010: "MYS", 2015: "PHL", 2019: "VNM", 2021: "SGP"}
ZERO_QTY = {2001: ("MYS", "DEU", "870323"), 2007: ("IDN", "KOR", "870323"), 2018: ("PHL", "KOR", "870421")}


def plant_value_quirks(rows: list[list[str]], year: int, log: QuirkLog) -> None:
    """Exact and conflicting duplicates, a negative and a missing value, zero quantities (sorted rows in)."""
    def insert_after(original: list[str], new: list[str]) -> None:
        rows.insert(next(i for i, r in enumerate(rows) if r is original) + 1, new)

    if year in DUPLICATE_YEARS:
        reporter = DUPLICATE_YEARS[year]
        original = _find(rows, reporterISO=reporter, flowCode="M", partnerISO="CHN", aggrLevel="6")
        insert_after(original, original.copy())
        log.add("exact_duplicate", year, f"{reporter} M CHN {original[_CMD]} repeated verbatim")
    if year == 2012:
        original = _find(rows, reporterISO="THA", flowCode="M", partnerISO="KOR", cmdCode="870899")
        conflict = original.copy()
        conflict[_PRIMARY] = conflict[_CIF] = _fmt_number(float(original[_PRIMARY]) * 1.37)
        insert_after(original, conflict)
        log.add("conflicting_duplicate", year, "THA M KOR 870899 twice with different values")
    if year == 2006:
        row = _find(rows, reporterISO="VNM", flowCode="M", partnerISO="CHN", cmdCode="870899")
        row[_PRIMARY] = row[_CIF] = "-" + row[_PRIMARY]
        log.add("negative_value", year, "VNM M CHN 870899 primaryValue negative")
    if year == 2014:
        row = _find(rows, reporterISO="PHL", flowCode="X", partnerISO="JPN", cmdCode="870840")
        row[_PRIMARY] = row[_FOB] = ""
        log.add("missing_value", year, "PHL X JPN 870840 primaryValue empty")
    if year in ZERO_QTY:
        reporter, partner, code = ZERO_QTY[year]
        row = _find(rows, reporterISO=reporter, flowCode="M", partnerISO=partner, cmdCode=code)
        row[_QTY] = "0.0"  # Comtrade+ writes 0.0 where the quantity is unknown
        log.add("zero_qty", year, f"{reporter} M {partner} {code} qty 0.0")


def comtrade_rows(model: TradeModel, year: int, log: QuirkLog) -> tuple[list[list[str]], YearFlows]:
    """All rows of the year's bulk file, sorted, with the year's planted quirks; and the true flows."""
    builder = ComtradeYear(model, year)
    rows = builder.build()
    plant_breakdowns(rows, year, log)
    rows.sort(key=_sort_key)
    plant_value_quirks(rows, year, log)
    return rows, builder.flows


# --------------------------------------------------------------------------------------------------
# TiVA
# --------------------------------------------------------------------------------------------------

# Domestic value-added share of gross exports (1995, 2008, 2022), C29 motor vehicles and _T total.
DVA_SHARE = {
    "JPN": ((0.88, 0.84, 0.80), (0.93, 0.86, 0.82)), "KOR": ((0.78, 0.70, 0.70), (0.72, 0.62, 0.67)),
    "CHN": ((0.70, 0.72, 0.82), (0.82, 0.70, 0.82)), "USA": ((0.82, 0.78, 0.78), (0.90, 0.87, 0.90)),
    "DEU": ((0.80, 0.70, 0.68), (0.80, 0.73, 0.73)), "THA": ((0.35, 0.45, 0.55), (0.70, 0.62, 0.67)),
    "IDN": ((0.55, 0.58, 0.65), (0.87, 0.87, 0.88)), "MYS": ((0.40, 0.45, 0.50), (0.62, 0.58, 0.60)),
    "PHL": ((0.35, 0.38, 0.45), (0.70, 0.72, 0.75)), "VNM": ((0.30, 0.33, 0.40), (0.72, 0.62, 0.55)),
    "SGP": ((0.30, 0.32, 0.38), (0.52, 0.55, 0.55)), "BRN": ((0.50, 0.50, 0.50), (0.95, 0.95, 0.93)),
    "KHM": ((0.30, 0.35, 0.40), (0.60, 0.62, 0.65)), "LAO": ((0.35, 0.38, 0.40), (0.80, 0.78, 0.80)),
    "MMR": ((0.45, 0.45, 0.45), (0.85, 0.85, 0.85)),
}
# Origin of the foreign value added in ASEAN members' C29 exports: share of EXGR_FVA (1995, 2008, 2022).
FVA_ORIGIN_JPN = {"THA": (0.55, 0.42, 0.30), "IDN": (0.50, 0.40, 0.28), "MYS": (0.45, 0.35, 0.25),
                  "PHL": (0.50, 0.40, 0.32), "VNM": (0.35, 0.25, 0.15), "SGP": (0.30, 0.22, 0.15),
                  "BRN": (0.25, 0.20, 0.15), "KHM": (0.25, 0.20, 0.15), "LAO": (0.20, 0.15, 0.10),
                  "MMR": (0.25, 0.18, 0.12)}
FVA_ORIGIN_CHN = {"VNM": (0.05, 0.20, 0.32), "KHM": (0.05, 0.20, 0.30), "LAO": (0.05, 0.20, 0.30),
                  "MMR": (0.05, 0.18, 0.30)}
FVA_ORIGIN_CHN_DEFAULT = (0.02, 0.08, 0.18)
FVA_ORIGIN_OTHER = {"KOR": (0.03, 0.05, 0.05), "USA": (0.08, 0.07, 0.06), "DEU": (0.06, 0.05, 0.05)}
FVA_ORIGIN_ASEAN_TOTAL = {"LAO": (0.10, 0.18, 0.20), "KHM": (0.10, 0.18, 0.20), "MMR": (0.10, 0.18, 0.20)}
FVA_ORIGIN_ASEAN_TOTAL_DEFAULT = (0.05, 0.09, 0.12)
ASEAN_ORIGIN_WEIGHT = {"THA": 0.3, "MYS": 0.2, "SGP": 0.15, "IDN": 0.15, "PHL": 0.08, "VNM": 0.08,
                       "BRN": 0.02, "KHM": 0.0067, "LAO": 0.0067, "MMR": 0.0067}


def _three_point(values: tuple[float, float, float], year: int) -> float:
    return interpolate({1995: values[0], 2008: values[1], 2022: values[2]}, year, log=False)


def fva_origin_shares(country: str, year: int) -> dict[str, float]:
    """Share of `country`'s C29 foreign value added that originates in each sample country (sum < 1)."""
    shares = {"JPN": _three_point(FVA_ORIGIN_JPN[country], year),
              "CHN": _three_point(FVA_ORIGIN_CHN.get(country, FVA_ORIGIN_CHN_DEFAULT), year)}
    shares |= {origin: _three_point(path, year) for origin, path in FVA_ORIGIN_OTHER.items()}
    weights = {o: w * (2.0 if o == "THA" and country in ("LAO", "KHM", "MMR") else 1.0)
               for o, w in ASEAN_ORIGIN_WEIGHT.items() if o != country}
    asean_total = _three_point(FVA_ORIGIN_ASEAN_TOTAL.get(country, FVA_ORIGIN_ASEAN_TOTAL_DEFAULT), year)
    weight_sum = sum(weights.values())
    shares |= {origin: asean_total * w / weight_sum for origin, w in weights.items()}
    return shares


# Forward participation (EXGR_DVAFXSH, % of gross exports) of all activities (1995, 2008, 2022); C29 is a share of it.
FORWARD_SHARE_T = {"JPN": (14.0, 17.0, 18.5), "KOR": (12.0, 15.0, 16.0), "CHN": (9.0, 13.0, 15.0),
                   "USA": (13.0, 15.0, 16.0), "DEU": (12.0, 14.0, 14.5), "IDN": (18.0, 22.0, 21.0),
                   "BRN": (25.0, 28.0, 27.0), "SGP": (12.0, 13.0, 12.0)}
FORWARD_SHARE_T_DEFAULT = (9.0, 11.0, 12.0)
FORWARD_C29_FACTOR = 0.55  # cars go to final demand more than the average export
# Destination market of the ASEAN members' exports (share of EXGR, 1995, 2008, 2022): the MAINLV partner breakdown.
EXPORT_SHARE_TO_JPN = (0.14, 0.10, 0.08)
# Origins of the foreign value added in ASEAN members' total (_T) exports: the five large non-ASEAN origins.
T_ORIGINS = ("JPN", "CHN", "KOR", "USA", "DEU")


def _tiva_value(value_musd: float) -> str:
    return repr(round(value_musd, 3))


def tiva_rows(model: TradeModel, auto_exports: dict[int, dict[str, float]]) -> dict[str, list[dict[str, str]]]:
    """The three synthetic TiVA files, {file key: rows} (keys of TIVA_FILES), values in US$ million or percent.

    mainlv: EXGR, EXGR_DVA, EXGR_FVA (C29 and _T) with COUNTERPART_AREA WLD for every country, and towards
    the destination JPN for the ASEAN members (MAINLV partner = destination market). exgrva: EXGR_BSCI,
    foreign value added by origin (COUNTERPART_AREA = source country) of the ASEAN members' C29 exports (every
    other sample country) and _T exports (T_ORIGINS). mainsh: EXGR_DVAFXSH (percent, counterpart WLD), C29
    and _T, every country. `auto_exports` is {year: {iso3: US$}} from the Comtrade model
    (YearFlows.auto_exports), so C29 gross exports in TiVA follow the same story as the trade data.
    """
    noise = model.noise
    files: dict[str, list[dict[str, str]]] = {key: [] for key in TIVA_FILES}

    def add(file: str, measure: str, country: str, activity: str, counterpart: str, year: int, value: float,
            percent: bool = False) -> None:
        files[file].append({
            "DATAFLOW": TIVA_FILES[file], "MEASURE": measure, "REF_AREA": country, "ACTIVITY": activity,
            "COUNTERPART_AREA": counterpart, "UNIT_MEASURE": "PC" if percent else "USD", "FREQ": "A",
            "TIME_PERIOD": str(year), "OBS_VALUE": _tiva_value(value), "UNIT_MULT": "0" if percent else "6",
            "OBS_STATUS": "A", "DECIMALS": "3"})

    for country in ISO3:
        for year in TIVA_YEARS:
            # Gross exports incl. services (~18 % on top of goods); C29 = the sample's automotive exports plus
            # trailers and other C29 output (~8 %), at least a sliver of total exports for the small economies.
            goods = interpolate(TOTAL_EXPORTS_BN[country], year) * B * model.total_shock(country, None, year)
            total = goods * 1.18 / 1e6
            sliver = total * 0.0015 * noise.lognormal(0.1, "c29-sliver", country, year)
            c29 = max(auto_exports[year].get(country, 0.0) * 1.08 / 1e6, sliver)
            forward_t = _three_point(FORWARD_SHARE_T.get(country, FORWARD_SHARE_T_DEFAULT), year)
            for activity, gross, column in (("C29", c29, 0), ("_T", total, 1)):
                share = (_three_point(DVA_SHARE[country][column], year)
                         + noise.between(-0.006, 0.006, "dva", country, activity, year))
                dva = gross * share
                fva = gross - dva
                add("mainlv", "EXGR", country, activity, TIVA_WORLD, year, gross)
                add("mainlv", "EXGR_DVA", country, activity, TIVA_WORLD, year, dva)
                add("mainlv", "EXGR_FVA", country, activity, TIVA_WORLD, year, fva)
                forward = forward_t * (FORWARD_C29_FACTOR if activity == "C29" else 1.0)
                add("mainsh", "EXGR_DVAFXSH", country, activity, TIVA_WORLD, year,
                    forward * noise.lognormal(0.03, "forward", country, activity, year), percent=True)
                if country not in ASEAN:
                    continue
                to_jpn = gross * _three_point(EXPORT_SHARE_TO_JPN, year) * noise.lognormal(0.1, "to-jpn", country,
                                                                                           activity, year)
                fva_to_jpn = to_jpn * (1 - share) * noise.lognormal(0.05, "fva-to-jpn", country, activity, year)
                add("mainlv", "EXGR", country, activity, "JPN", year, to_jpn)
                add("mainlv", "EXGR_DVA", country, activity, "JPN", year, to_jpn - fva_to_jpn)
                add("mainlv", "EXGR_FVA", country, activity, "JPN", year, fva_to_jpn)
                for origin, origin_share in fva_origin_shares(country, year).items():
                    if activity == "_T" and origin not in T_ORIGINS:
                        continue
                    scatter = noise.lognormal(0.03, "origin" if activity == "C29" else "origin-t", country, origin,
                                              year)
                    add("exgrva", "EXGR_BSCI", country, activity, origin, year, fva * origin_share * scatter)
    for rows in files.values():
        rows.sort(key=lambda r: (r["MEASURE"], r["REF_AREA"], r["ACTIVITY"], r["COUNTERPART_AREA"], r["TIME_PERIOD"]))
    return files


# --------------------------------------------------------------------------------------------------
# Reference tables: a hand-written subset of the UN HS correlation and HS->BEC tables
# --------------------------------------------------------------------------------------------------

VINTAGE_YEAR = {"H0": 1992, "H1": 1996, "H2": 2002, "H3": 2007, "H4": 2012, "H5": 2017, "H6": 2022}

# Links from each later vintage to HS1992 (H0) for the codes the sample uses, checked against the UN
# correlation tables. Unlisted codes link to themselves, "1:1" unless listed in IDENTITY_RELATION: the
# relationship describes the code's full UN link set, so an identity link reads "n:1" when another code
# (outside or inside the sample) also maps onto it. "ex" marks a partial target in the H2/H3 tables.
IDENTITY_RELATION = {
    "H5": {c: "n:1" for c in ("870321", "870322", "870323", "870324", "870333", "870390", "870899")},
    "H6": {c: "n:1" for c in ("840733", "840734", "840820", "854430", "870321", "870322", "870323", "870324",
                              "870333", "870390", "870421", "870431", "870829", "870899")},
}
_EV_TO_H0 = ("870321", "870322", "870323", "870324", "870390")
CHANGED_LINKS = {  # vintage -> from_code -> [(to_code, relationship, ex)]
    "H3": {
        "870830": [("870831", "1:n", False), ("870839", "1:n", False)],
        "870840": [("870840", "n:n", False), ("870899", "n:n", True)],
        "870850": [("870850", "n:n", False), ("870860", "n:n", False), ("870899", "n:n", True)],
        "870895": [("870899", "n:1", True)],
        "870899": [("870899", "n:1", True)],
    },
    "H4": {
        "870830": [("870831", "1:n", False), ("870839", "1:n", False)],
        "870840": [("870840", "1:n", False), ("870899", "n:n", False)],
        "870850": [("870899", "n:n", False), ("870850", "1:n", False), ("870860", "1:n", False)],
        "870895": [("870899", "n:1", False)],
        "870899": [("870899", "n:1", False)],
    },
    "H5": {
        "870340": [(c, "n:n", False) for c in _EV_TO_H0],
        "870360": [(c, "n:n", False) for c in _EV_TO_H0],
        "870380": [("870390", "n:1", False)],
        "870830": [("870831", "1:n", False), ("870839", "1:n", False)],
        "870840": [("870840", "1:n", False), ("870899", "n:n", False)],
        "870850": [("870850", "1:n", False), ("870860", "1:n", False), ("870899", "n:n", False)],
        "870895": [("870899", "n:1", False)],
    },
    "H6": {
        "870340": [(c, "n:n", False) for c in _EV_TO_H0],
        "870360": [(c, "n:n", False) for c in _EV_TO_H0],
        "870380": [("870390", "n:1", False)],
        "870822": [("870829", "n:1", False)],
        "870830": [("870831", "n:n", False), ("870839", "n:n", False)],
        "870840": [("870840", "n:n", False), ("870899", "n:n", False)],
        "870850": [("870850", "n:n", False), ("870860", "n:n", False), ("870899", "n:n", False)],
        "870895": [("870899", "n:1", False)],
    },
}


def hs_links_to_h0(vintage: str) -> list[tuple[str, str, str, bool]]:
    """(from_code, to_code, relationship, ex) for every sample code of `vintage` (H1..H6), sorted by code."""
    links = []
    for code in sorted(lines_in_vintage(vintage)):
        changed = CHANGED_LINKS.get(vintage, {}).get(code)
        if changed:
            links += [(code, to, rel, ex) for to, rel, ex in changed]
        else:
            rel = IDENTITY_RELATION.get(vintage, {}).get(code, "1:1")
            links.append((code, code, rel, False))
    return links


# The UN Conversion sheets (one HS1992 code per code of the later edition) for the sample's codes:
# hand-made, copied for these codes from the real UN tables HS{1996..2022}_to_HS1992_UNSD (Conversion sheet).
# Unlisted codes convert to themselves.
CONVERSION_CHANGED = {  # vintage -> from_code -> to_code
    "H3": {"870830": "870839", "870895": "870899"},
    "H4": {"870830": "870839", "870895": "870899"},
    "H5": {"870340": "870390", "870360": "870390", "870380": "870390", "870830": "870839", "870895": "870899"},
    "H6": {"870340": "870390", "870360": "870390", "870380": "870390", "870822": "870829", "870830": "870839",
           "870895": "870899"},
}


def conversion_csv(vintage: str) -> str:
    """The CSV export of the UN Conversion sheet `vintage` -> HS1992 for the sample's codes (layout of the 2017 sheet)."""
    year = VINTAGE_YEAR[vintage]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f"From HS {year}", "To HS 1992"])
    for code in sorted(lines_in_vintage(vintage)):
        writer.writerow([code, CONVERSION_CHANGED.get(vintage, {}).get(code, code)])
    return buffer.getvalue()


def bec4_code(hs6: str) -> str:
    """BEC Rev.4 basic category of a sample HS6 code (as the UN HS->BEC tables assign it)."""
    if hs6.startswith("8703"):
        return "51"  # passenger motor cars (870310, snow and golf vehicles, would be 522; not in the sample)
    if hs6.startswith("8704"):
        return "521"  # transport equipment, industrial
    if hs6 == "090111":
        return "111"  # primary food for industry
    return "53"  # parts and accessories of transport equipment (8706-8708, engines, tyres, wiring sets)


def correlation_csv(vintage: str) -> str:
    """The CSV export of the UN correlation table `vintage` -> HS1992, in that table's own shape."""
    year = VINTAGE_YEAR[vintage]
    links = hs_links_to_h0(vintage)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if vintage == "H1":
        writer.writerow(["", "", ""])
        writer.writerow(["HS1996", "HS1992", "Relationship"])
        writer.writerows([f, t, r] for f, t, r, _ in links)
    elif vintage == "H2":  # the 2002 table quotes relationships with a leading apostrophe (Excel text)
        writer.writerow(["HS 2002", "ex.", "HS 1992", "Relationship"])
        writer.writerows([f, "ex" if ex else "", t, "'" + r] for f, t, r, ex in links)
    elif vintage == "H3":
        writer.writerow(["Between", "", "", ""])
        writer.writerow(["HS 2007", "ex.", "HS 1992", "Relationship"])
        writer.writerows([f, "ex." if ex else "", t, r] for f, t, r, ex in links)
        writer.writerows([["", "", "", ""]] * 3)
    elif vintage == "H4":
        for title in ("Correlation table HS 2012 to HS 1992", "",
                      "Correlation table between basic headings, sub-groups and groups",
                      "of the Harmonised System 2012 Edition  and the Harmonised System 1992 Edition ", "", ""):
            writer.writerow(["", title, "", "", ""])
        writer.writerow(["", "", "HS 2012", "HS 1992", "Relationship"])
        writer.writerows(["", "", f, t, r.replace(":", " to ")] for f, t, r, _ in links)
        writer.writerow(["", "", "", "870899", ""])  # the UN export ends with orphan target-only rows
    else:
        writer.writerow(["Between", "", ""])
        writer.writerow([f"HS {year}", "HS 1992", "Relationship"])
        writer.writerows([f, t, r] for f, t, r, _ in links)
    return buffer.getvalue()


def bec_csv(vintage: str) -> str:
    """The UN HS->BEC4 table of `vintage` for the sample's codes, in that file's own shape."""
    codes = sorted(lines_in_vintage(vintage))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    bom = "\ufeff"
    if vintage == "H3":  # no Relationship column, codes written with a dot
        writer.writerow([bom + "HS2007", "BEC"])
        writer.writerows([f"{c[:4]}.{c[4:]}", bec4_code(c)] for c in codes)
    elif vintage == "H6":  # no BOM, "BEC 4", trailing empty rows
        writer.writerow(["HS 2022", "BEC 4", "Relationship"])
        writer.writerows([c, bec4_code(c), "n:1"] for c in codes)
        writer.writerows([["", "", ""]] * 3)
    else:
        header = {"H1": "HS96", "H2": "HS02", "H4": "HS 2012", "H5": "HS 2017"}[vintage]
        relation = "n:1" if vintage == "H5" else "n to 1"
        writer.writerow([bom + header, "BEC", "Relationship"])
        writer.writerows([c, bec4_code(c), relation] for c in codes)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# Writers and entry points
# --------------------------------------------------------------------------------------------------


def _gzip_bytes(text: str) -> bytes:
    buffer = io.BytesIO()
    # mtime 0 and no embedded file name: the same rows always give the same bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=6) as handle:
        handle.write(text.encode("utf-8"))
    return buffer.getvalue()


def _tsv(rows: list[list[str]]) -> str:
    lines = ["\t".join(COMTRADE_COLUMNS)]
    lines += ["\t".join(row) for row in rows]
    return "\n".join(lines) + "\n"


def _csv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def generate_sample(out_dir: Path = SAMPLE_DIR, seed: int = SEED, years: Iterable[int] = YEARS) -> QuirkLog:
    """Write extracts/ and reference/ under `out_dir`; return the log of planted quirks.

    Files: extracts/comtrade/sample_comtrade_<year>.tsv.gz (1995-2023), extracts/tiva/sample_tiva_{mainlv,exgrva,mainsh}.csv,
    reference/hs_correlation/csv/HS<year>_to_HS1992_UNSD__correlation.csv, its __conversion.csv and
    reference/hs_bec/HS<year>_to_BEC4_UNSD.csv for the six later HS vintages. A year's file does not
    depend on the other years, so `years` may pick a few (the TiVA file, built from every year's
    automotive exports, is then left out).
    """
    out_dir = Path(out_dir)
    years = sorted(years)
    model = TradeModel(seed)
    log = QuirkLog([])
    auto_exports = {}
    for year in years:
        rows, flows = comtrade_rows(model, year, log)
        auto_exports[year] = flows.auto_exports
        _write(out_dir / "extracts" / "comtrade" / f"sample_comtrade_{year}.tsv.gz", _gzip_bytes(_tsv(rows)))
    if set(TIVA_YEARS) <= set(years):
        for key, rows in tiva_rows(model, auto_exports).items():
            _write(out_dir / "extracts" / "tiva" / f"sample_tiva_{key}.csv", _csv(TIVA_COLUMNS, rows).encode())
    for vintage in ("H1", "H2", "H3", "H4", "H5", "H6"):
        year = VINTAGE_YEAR[vintage]
        _write(out_dir / "reference" / "hs_correlation" / "csv" / f"HS{year}_to_HS1992_UNSD__correlation.csv",
               correlation_csv(vintage).encode())
        _write(out_dir / "reference" / "hs_correlation" / "csv" / f"HS{year}_to_HS1992_UNSD__conversion.csv",
               conversion_csv(vintage).encode())
        _write(out_dir / "reference" / "hs_bec" / f"HS{year}_to_BEC4_UNSD.csv", bec_csv(vintage).encode())
    return log


# --------------------------------------------------------------------------------------------------
# Report (numbers quoted in sample/README.md)
# --------------------------------------------------------------------------------------------------

CALIBRATION_TARGETS = (  # (exporter, importer, HS4, year, US$ bn, published figure)
    ("JPN", "THA", "8708", 1995, 1.52, "BACI 1995"), ("JPN", "THA", "8708", 2023, 2.09, "BACI 2024"),
    ("JPN", "IDN", "8708", 1995, 1.61, "BACI 1995"), ("JPN", "IDN", "8708", 2023, 1.19, "BACI 2024"),
    ("JPN", "MYS", "8703", 1995, 1.25, "BACI 1995"), ("JPN", "MYS", "8703", 2023, 0.64, "BACI 2024"),
    ("THA", "JPN", "8708", 2023, 0.93, "BACI 2024"), ("THA", "MYS", "8708", 2023, 1.10, "BACI 2024"),
    ("THA", "PHL", "8703", 2023, 1.26, "BACI 2024"), ("JPN", "USA", "8703", 1995, 22.6, "BACI 1995"),
    ("JPN", "USA", "8703", 2023, 40.7, "BACI 2024"),
)
AUTO_PREFIXES = ("8703", "8704", "8706", "8707", "8708", "840733", "840734", "840820")


def _read_year(out_dir: Path, year: int) -> list[dict[str, str]]:
    path = out_dir / "extracts" / "comtrade" / f"sample_comtrade_{year}.tsv.gz"
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _is_plain_total(row: dict[str, str]) -> bool:
    return row["motCode"] == "0" and row["customsCode"] == "C00" and row["partner2Code"] == "0"


def report(out_dir: Path = SAMPLE_DIR) -> str:
    """Calibration, story checks, row counts and file sizes of the generated sample, as Markdown."""
    lines = ["| flow | year | target US$ bn | sample US$ bn | gap |", "|---|---|---|---|---|"]
    cache: dict[int, list[dict[str, str]]] = {}

    def year_rows(year: int) -> list[dict[str, str]]:
        if year not in cache:
            cache[year] = _read_year(out_dir, year)
        return cache[year]

    for exporter, importer, hs4, year, target, source in CALIBRATION_TARGETS:
        lines_of_flow = {tuple(r.values()): r for r in year_rows(year)  # keyed by content: drops duplicates
                         if r["reporterISO"] == exporter and r["flowCode"] == "X" and r["partnerISO"] == importer
                         and r["cmdCode"].startswith(hs4) and len(r["cmdCode"]) == 6 and _is_plain_total(r)}
        value = sum(float(r["primaryValue"]) for r in lines_of_flow.values()) / B
        lines.append(f"| {exporter}→{importer} {hs4} (exporter-reported FOB) | {year} | {target} ({source}) "
                     f"| {value:.2f} | {100 * (value / target - 1):+.1f} % |")
    lines.append("")
    lines.append("| year | THA automotive exports to World, US$ bn | JPN share of THA 8708 imports | CHN share "
                 "| ASEAN share |")
    lines.append("|---|---|---|---|---|")
    for year in (1995, 1997, 1998, 2000, 2005, 2008, 2009, 2010, 2015, 2020, 2023):
        rows = [r for r in year_rows(year) if _is_plain_total(r) and len(r["cmdCode"]) == 6]
        thai_auto = sum(float(r["primaryValue"]) for r in rows if r["reporterISO"] == "THA" and r["flowCode"] == "X"
                        and r["partnerISO"] == WORLD_ISO and r["cmdCode"].startswith(AUTO_PREFIXES))
        parts = defaultdict(float)
        for r in rows:
            if r["reporterISO"] == "THA" and r["flowCode"] == "M" and r["cmdCode"].startswith("8708"):
                parts[r["partnerISO"]] += float(r["primaryValue"])
        world = parts[WORLD_ISO]
        asean = sum(parts[c] for c in ASEAN)
        lines.append(f"| {year} | {thai_auto / B:.2f} | {100 * parts['JPN'] / world:.0f} % | "
                     f"{100 * parts['CHN'] / world:.0f} % | {100 * asean / world:.0f} % |")
    lines.append("")
    total_rows = sum(len(year_rows(y)) for y in YEARS)
    lines.append(f"Comtrade rows: {total_rows} in {len(YEARS)} files")
    for path in sorted(out_dir.rglob("*")):
        if path.is_file() and path.suffix in (".gz", ".csv"):
            lines.append(f"{path.relative_to(out_dir)}\t{path.stat().st_size}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the synthetic sample extracts and reference tables.")
    parser.add_argument("--out", type=Path, default=SAMPLE_DIR, help="folder to write extracts/ and reference/ into")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--report", action="store_true", help="print calibration, quirk counts and file sizes")
    args = parser.parse_args(argv)
    log = generate_sample(args.out, args.seed)
    print(f"wrote the synthetic sample under {args.out}")
    if args.report:
        print(report(args.out))
        for kind, count in log.counts().items():
            print(f"quirk {kind}: {count}")
        for kind, year, description in log.entries:
            print(f"  {year} {kind}: {description}")


if __name__ == "__main__":
    main()
