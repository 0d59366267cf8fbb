"""What API mode asks for: the researcher's codes turned into the codes each API takes.

Belongs here (pure functions, no HTTP, no Dagster): splitting a setting's text into codes; Comtrade
reporters and partners given as ISO3 or M49 → the Comtrade numeric area codes of a year; TiVA
countries given as ISO3 or M49 → OECD area codes; commodity headings → the HS6 lines within them;
the set of HS6 codes the reference tables know. Not here: where the settings come from (pipelines/settings.py),
the defaults a scope file gives for an empty commodity or TiVA activity setting
(assets/transforms/reference/api_defaults.py), the requests themselves (comtrade_api.py, oecd_sdmx.py).

Every refusal is an RvcInputError naming the setting, the code and what is accepted: a typo such as
"THI" must never become an empty download.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from assets.errors import RvcInputError
from assets.sources.hs_correlation import load_hs_concordance
from assets.sources.reference_files import unreadable_table
from assets.vocabulary import FLOW_CODES

# Words that mean "every partner" (the Comtrade query then leaves partnerCode open).
ALL_WORDS = frozenset({"ALL", "*"})
WORLD_WORDS = frozenset({"WORLD", "WLD", "W00", "0"})
# Which layer of the country code table wins when an ISO3 names several Comtrade codes valid in the
# same year: the overrides hold Comtrade's own reporter codes (251 France incl. Monaco, 842 USA incl.
# Puerto Rico, 699 India, 757 Switzerland, 579 Norway, 490 for Taiwan), which are the codes the API
# files data under; ISO numeric codes (250, 840, 356, 756, 578) would ask for nothing.
_SOURCE_RANK = {"override": 0, "comtradeplus_reporter": 1, "comtradeplus_partner": 2, "comtrade_legacy": 3, "country_converter": 4}
_AREA_KINDS = ("country", "world")

# OECD TiVA area codes that are not ISO3 countries: the aggregates of the TiVA 2025 reference-area
# codelist (../shared/data/real/tiva/tiva2025_ref_areas_derived.csv, from the OECD Data Explorer).
TIVA_AGGREGATE_AREAS: dict[str, str] = {
    "W": "World", "OECD": "OECD", "WXOECD": "Non-OECD economies", "WXD": "Rest of the world",
    "W_O": "Other countries", "ASEAN": "ASEAN", "APEC": "APEC", "G20": "G20", "NAFTA": "NAFTA",
    "EU27_2020": "European Union (27)", "EU28": "European Union (28)", "EU15": "European Union (15)",
    "EU28XEU15": "EU28 excluding EU15", "EA19": "Euro area (19)", "E": "Europe", "F": "Africa",
    "S2": "Eastern Asia", "S2_S8": "Eastern and South-eastern Asia", "A5_A7": "South and Central America",
}
TIVA_WORLD = "W"

COMMODITY_DETAILS = ("hs6", "as_given")
# Selectors the Comtrade API understands as they are: the grand total and whole aggregation levels.
_COMMODITY_SELECTORS = frozenset({"TOTAL", "ALL", "AG1", "AG2", "AG3", "AG4", "AG5", "AG6"})
_SDMX_CODE = re.compile(r"[A-Z0-9_]+")

HS_NOMENCLATURE_GLOB = "comtradeplus_ref_H*.csv"


def _resolve_each(values: Sequence[str], resolve: Callable[[str], str | None]) -> tuple[list[str], list[str]]:
    """(codes, unknown): each value (stripped, upper case) resolved once, codes unique in first-seen order."""
    codes: list[str] = []
    unknown: list[str] = []
    for value in (str(v).strip().upper() for v in values):
        code = resolve(value)
        if code is None:
            unknown.append(value)
        elif code not in codes:
            codes.append(code)
    return codes, unknown


def split_codes(text: str | Iterable[object] | None) -> list[str]:
    """Codes from a setting: "JPN, THA 764" or a list → ["JPN", "THA", "764"] (stripped, upper case, in order)."""
    if text is None:
        return []
    items = re.split(r"[,;\s]+", text) if isinstance(text, str) else [str(item) for item in text]
    return [item.strip().upper() for item in items if item.strip()]


def _accepted_areas(world: bool) -> str:
    return (
        "ISO3 country codes (e.g. JPN, THA, DEU) or Comtrade M49 numeric codes (e.g. 392, 764, 276) from the "
        "project's country code tables (assets/data/country_overrides.csv, country_converter, and the Comtrade "
        "lists in <RVC_REFERENCE>/country_codes/ when present)"
        + ("; 0, WLD or World for the world" if world else "")
    )


def _valid_in(table: pd.DataFrame, year: int | None) -> pd.Series:
    """Rows valid in `year`; with no year, rows still valid today (no end year)."""
    if year is None:
        return table["valid_to"].isna()
    return ((table["valid_from"].isna() | (table["valid_from"] <= year))
            & (table["valid_to"].isna() | (table["valid_to"] >= year))).fillna(False).astype(bool)


def _code_for_iso(value: str, table: pd.DataFrame, year: int | None, setting: str) -> str | None:
    """The one Comtrade code of an ISO3 (or a Comtrade ISO such as S19, W00) in `year`; None if unknown."""
    rows = table[table["kind"].isin(_AREA_KINDS) & ((table["iso3"] == value) | (table["iso"].str.upper() == value))]
    if rows.empty:
        return None
    valid = rows[_valid_in(rows, year)]
    when = f"in {year}" if year is not None else "today (no end year)"
    if valid.empty:
        spans = ", ".join(
            f"{code} ({'…' if pd.isna(start) else start}–{'…' if pd.isna(end) else end})"
            for code, start, end in rows[["code", "valid_from", "valid_to"]].drop_duplicates().itertuples(index=False)
        )
        raise RvcInputError(
            f"{setting}: {value} has no Comtrade code valid {when} (its codes: {spans}). What to do: remove {value} "
            "for this year's run, or give the M49 code you mean."
        )
    best = valid.assign(_rank=valid["source"].map(_SOURCE_RANK).fillna(len(_SOURCE_RANK)))
    best = best[best["_rank"] == best["_rank"].min()]
    codes = sorted(set(best["code"]), key=int)
    if len(codes) > 1:
        raise RvcInputError(
            f"{setting}: {value} names several Comtrade codes valid {when} ({', '.join(codes)}). What to do: give "
            "the M49 code you mean instead of the ISO3 code."
        )
    return codes[0]


def comtrade_area_codes(
    values: Sequence[str], table: pd.DataFrame, year: int | None, setting: str, *, world: bool = False
) -> list[str]:
    """Reporters or partners (ISO3 or M49) → Comtrade numeric area codes valid in `year`, in order, unique.

    In: codes as split_codes gives them; `table` is the country_codes table
    (assets.transforms.reference.country_codes.build_country_codes); `setting` names the setting in messages;
    `world`: whether World (0, WLD, World) is allowed (partners yes, reporters no).
    Out: codes as unpadded text ("392", "96", "0"). An ISO3 with several codes valid in the year takes
    Comtrade's own (see _SOURCE_RANK): FRA → 251, USA → 842, DEU 1990 → 280 and 1991 on → 276.
    Raises RvcInputError listing every unknown code with what is accepted.
    """
    known = set(table["code"])

    def resolve(value: str) -> str | None:
        if value in WORLD_WORDS:
            return "0" if world else None
        if value.isdigit():
            number = str(int(value))
            return number if number in known and (world or number != "0") else None
        code = _code_for_iso(value, table, year, setting)
        return None if code == "0" and not world else code

    codes, unknown = _resolve_each(values, resolve)
    if unknown:
        raise RvcInputError(
            f"{setting}: unknown country code(s) {', '.join(repr(v) for v in unknown)}. Accepted: "
            f"{_accepted_areas(world)}. What to do: correct the code(s) in the setting."
        )
    if not codes:
        raise RvcInputError(f"{setting}: no country code given. Accepted: {_accepted_areas(world)}.")
    return codes


def is_all(values: Sequence[str]) -> bool:
    """True for an empty setting or "all"/"*": every partner (the query leaves partners open)."""
    return not values or (len(values) == 1 and values[0] in ALL_WORDS)


def tiva_area_codes(values: Sequence[str], table: pd.DataFrame, setting: str) -> list[str]:
    """TiVA countries or counterparts (ISO3, M49, World or a TiVA aggregate) → OECD area codes, in order, unique.

    ISO3 codes must be in the country code table; an M49 code becomes its ISO3 (392 → JPN, 490 → TWN);
    0/WLD/World/W → "W" (TiVA's World); TIVA_AGGREGATE_AREAS pass as they are (OECD, ASEAN, ...).
    Raises RvcInputError listing every unknown code with what is accepted.
    """
    countries = table[table["kind"] == "country"]
    iso3_known = set(countries["iso3"].dropna())

    def resolve(value: str) -> str | None:
        if value in WORLD_WORDS or value == TIVA_WORLD:
            return TIVA_WORLD
        if value in TIVA_AGGREGATE_AREAS or value in iso3_known:
            return value
        if value.isdigit():
            iso3 = set(countries.loc[countries["code"] == str(int(value)), "iso3"].dropna())
            return iso3.pop() if len(iso3) == 1 else None
        return None

    codes, unknown = _resolve_each(values, resolve)
    if unknown:
        raise RvcInputError(
            f"{setting}: unknown TiVA area code(s) {', '.join(repr(v) for v in unknown)}. Accepted: "
            f"{_accepted_areas(True)}, or a TiVA aggregate ({', '.join(sorted(TIVA_AGGREGATE_AREAS))}). "
            "What to do: correct the code(s) in the setting."
        )
    return codes


def sdmx_codes(values: Sequence[str], setting: str, what: str) -> list[str]:
    """TiVA measure or activity codes (EXGR_DVA, C29, _T) checked for shape: letters, digits and `_` only.

    Their meaning is the OECD's to judge (an unknown one answers 404); the shape check keeps a "." or
    "+" from changing the SDMX key's dimensions.
    """
    bad = [v for v in values if not _SDMX_CODE.fullmatch(v)]
    if bad or not values:
        raise RvcInputError(
            f"{setting}: {'no ' + what + ' given' if not values else 'invalid ' + what + ' code(s) ' + ', '.join(map(repr, bad))}. "
            f"Accepted: OECD TiVA {what} codes of letters, digits and '_' (e.g. EXGR_DVA, C29, _T), comma-separated."
        )
    return list(dict.fromkeys(values))


def load_known_hs6(reference_dir: Path | None) -> tuple[set[str], list[str]]:
    """Every HS6 code of any HS edition the reference tables know, and the files they came from.

    Read from `<reference>/hs_nomenclature/comtradeplus_ref_H*.csv` (rows of aggrlevel 6) and from the
    UN correlation tables in `<reference>/hs_correlation/` (both sides of every link). All editions
    together, because the API's "HS as reported" answers in each reporter's own edition.
    """
    if reference_dir is None:
        return set(), []
    codes: set[str] = set()
    used: list[str] = []
    for path in sorted((Path(reference_dir) / "hs_nomenclature").glob(HS_NOMENCLATURE_GLOB)):
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=["id", "aggrlevel"])
        except (UnicodeDecodeError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise unreadable_table(path, "a Comtrade+ HS nomenclature list (columns id, aggrlevel)", exc) from exc
        ids = table.loc[table["aggrlevel"].str.strip() == "6", "id"].str.strip()
        codes |= set(ids[ids.str.fullmatch(r"\d{6}")])
        used.append(path.name)
    if (Path(reference_dir) / "hs_correlation").is_dir():
        links = load_hs_concordance(reference_dir)
        codes |= set(links["from_code"].dropna()) | set(links["to_code"].dropna())
        used.extend(str(route).split(": ", 1)[-1] for route in links.attrs.get("hs_concordance_routes", {}).values())
    return codes, used


def commodity_codes(
    values: Sequence[str], detail: str, known_hs6: set[str], setting: str, sources: Sequence[str] = ()
) -> tuple[list[str], dict[str, int]]:
    """The cmdCode list to ask for, and how many HS6 lines each heading became.

    `detail` "hs6" (default): a 2- or 4-digit code becomes every HS6 code within it that any HS edition
    has (from `known_hs6`), because Comtrade answers a heading with the heading's own total, which
    cleaning files under totals; 6-digit codes, TOTAL and the AG*/ALL selectors pass unchanged.
    "as_given": every code passes unchanged. Out: sorted unique codes, and {heading: HS6 lines}.
    Raises RvcInputError naming the setting for a code that is not 2, 4 or 6 digits or a selector, or
    a heading with no HS6 line in the reference tables.
    """
    if detail not in COMMODITY_DETAILS:
        raise RvcInputError(f"commodity detail must be one of {', '.join(COMMODITY_DETAILS)}, got {detail!r}")
    accepted = "HS codes of 2, 4 or 6 digits (e.g. 87, 8703, 870323), TOTAL, or AG2/AG4/AG6/ALL"
    bad = [v for v in values if v not in _COMMODITY_SELECTORS and not re.fullmatch(r"\d{2}|\d{4}|\d{6}", v)]
    if bad or not values:
        raise RvcInputError(
            f"{setting}: {'no commodity given' if not values else 'invalid commodity code(s) ' + ', '.join(map(repr, bad))}. "
            f"Accepted: {accepted}. (In a TOML file write codes as strings, \"040120\", so the leading zero stays.)"
        )
    if detail == "as_given":
        return sorted(set(values)), {}
    codes: set[str] = set()
    expanded: dict[str, int] = {}
    empty: list[str] = []
    for value in values:
        if len(value) in (2, 4) and value.isdigit():
            lines = {code for code in known_hs6 if code.startswith(value)}
            expanded[value] = len(lines)
            if not lines:
                empty.append(value)
            codes |= lines
        else:
            codes.add(value)
    if empty:
        where = ", ".join(sources) if sources else "no HS nomenclature or correlation table found"
        raise RvcInputError(
            f"{setting}: no HS6 line is known within {', '.join(empty)} (HS6 codes read from: {where}). What to do: "
            "put the Comtrade+ nomenclature lists (hs_nomenclature/comtradeplus_ref_H*.csv) or the UN correlation "
            "tables (hs_correlation/) under RVC_REFERENCE, list the HS6 codes explicitly, or set "
            "RVC_COMTRADE_COMMODITY_DETAIL=as_given to ask for the headings themselves."
        )
    return sorted(codes), expanded


@dataclass(frozen=True)
class ComtradeSelection:
    """One year's Comtrade API selection in the API's codes; `partners` None = every partner.

    `area_labels` maps each area code to its ISO3 (for progress lines); `expanded` maps each heading to
    the number of HS6 lines asked for it.
    """

    reporters: list[str]
    partners: list[str] | None
    commodities: list[str]
    flows: list[str]
    area_labels: dict[str, str]
    expanded: dict[str, int]


def comtrade_selection(
    texts: Mapping[str, str],
    names: Mapping[str, str],
    year: int,
    country_table: pd.DataFrame,
    known_hs6: set[str],
    hs6_sources: Sequence[str] = (),
) -> ComtradeSelection:
    """The settings' text (keys reporters, partners, commodities, commodity_detail, flows) as API codes for `year`.

    `names` gives, for the same keys, the setting to name in messages. Raises RvcInputError naming
    the setting for an unknown country, commodity or flow code.
    """
    reporters = comtrade_area_codes(split_codes(texts["reporters"]), country_table, year, names["reporters"])
    partner_values = split_codes(texts["partners"])
    partners = None if is_all(partner_values) else comtrade_area_codes(
        partner_values, country_table, year, names["partners"], world=True
    )
    commodities, expanded = commodity_codes(
        split_codes(texts["commodities"]), texts["commodity_detail"], known_hs6, names["commodities"], hs6_sources
    )
    flows = split_codes(texts["flows"])
    bad_flows = [f for f in flows if f not in FLOW_CODES]
    if bad_flows or not flows:
        raise RvcInputError(
            f"{names['flows']}: {'no flow given' if not flows else 'unknown flow code(s) ' + ', '.join(map(repr, bad_flows))}. "
            f"Accepted: {', '.join(FLOW_CODES)} (exports, imports, re-exports, re-imports)."
        )
    areas = country_table[country_table["kind"].isin(_AREA_KINDS)].drop_duplicates("code")
    iso3_of = dict(zip(areas["code"], areas["iso3"], strict=True))
    labels = {code: str(iso3_of[code]) for code in [*reporters, *(partners or [])] if pd.notna(iso3_of.get(code))}
    return ComtradeSelection(reporters, partners, commodities, flows, labels, expanded)


@dataclass(frozen=True)
class TivaSelection:
    """The TiVA API selection in OECD codes; `counterparts` None = every counterpart."""

    countries: list[str]
    counterparts: list[str] | None
    measures: list[str]
    industries: list[str]

    def describe(self) -> str:
        return (
            f"countries {', '.join(self.countries)}, measures {', '.join(self.measures)}, activities "
            f"{', '.join(self.industries)}, counterparts {'all' if self.counterparts is None else ', '.join(self.counterparts)}"
        )


def tiva_selection(texts: Mapping[str, str], names: Mapping[str, str], country_table: pd.DataFrame) -> TivaSelection:
    """The settings' text (keys countries, counterparts, measures, industries) as OECD codes.

    `names` gives, for the same keys, the setting to name in messages. Raises RvcInputError naming the
    setting for an unknown area or a malformed measure or activity code.
    """
    counterpart_values = split_codes(texts["counterparts"])
    return TivaSelection(
        countries=tiva_area_codes(split_codes(texts["countries"]), country_table, names["countries"]),
        counterparts=None if is_all(counterpart_values) else tiva_area_codes(
            counterpart_values, country_table, names["counterparts"]
        ),
        measures=sdmx_codes(split_codes(texts["measures"]), names["measures"], "measure"),
        industries=sdmx_codes(split_codes(texts["industries"]), names["industries"], "activity"),
    )
