"""Country codes: Comtrade numeric and ISO codes → our harmonized ISO3 by year; regions as data.

Belongs here: building the `country_codes` table from country_converter, the Comtrade lists and the
overrides in `assets/data/country_overrides.csv`; mapping codes in trade records to ISO3
(`to_iso3`, `iso_to_iso3`); loading `assets/data/regions.csv` and expanding a region for a year.
Not here: reading the list files (assets/sources/country_lists.py).

Precedence, highest first (a higher layer owns a numeric code entirely):
1. overrides (`country_overrides.csv`, each with a `why`): 490/S19 → TWN, 0/W00/WLD → WLD, Comtrade's
   own codes (251 France incl. Monaco, 842 USA, 699 India, 757 Switzerland, 579 Norway), historical
   codes (280, 868 …), the areas n.e.s., special categories and reporter groups;
2. the Comtrade+ partner and reporter lists, then the legacy Comtrade list (only codes the Comtrade+
   lists lack, e.g. 381 Italy; the legacy list writes ATA, Antarctica, for Antigua and Barbuda);
3. country_converter's table (ISO numeric → ISO3) for codes no list names.

Kinds: "country" (iso3 = an ISO 3166 alpha-3, a former one such as SUN/DDR/YUG/ANT, or XKX/CHI),
"world" (code 0, iso3 WLD), and three kinds kept apart with iso3 null: "nes_area" (partner residuals
"…, nes" such as 899 Areas nes, 568, 577, 637 — 490 is NOT one: it is Taiwan), "special" (837 Bunkers,
838 Free Zones, 839 Special Categories, and pre-1975 entities with no ISO3 of their own) and
"region_aggregate" (reporter groups such as 97 EU, 975 ASEAN). `to_iso3` returns null for those three
kinds: they are known codes, not errors; callers keep them out of bilateral facts and count them.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from assets.errors import RvcInputError
from assets.project_paths import DATA_DIR
from assets.sources.country_lists import load_country_lists

KINDS = ("country", "world", "nes_area", "region_aggregate", "special")
KINDS_WITH_ISO3 = ("country", "world")
COUNTRY_CODES_COLUMNS = ["code", "iso", "iso3", "name", "valid_from", "valid_to", "kind", "source"]
REGION_COLUMNS = ["region", "iso3", "from_year", "to_year", "note"]
# A regions.csv member that stands for every country (the WLD region).
ALL_COUNTRIES = "*"

OVERRIDES_PATH = DATA_DIR / "country_overrides.csv"
REGIONS_PATH = DATA_DIR / "regions.csv"
OVERRIDE_COLUMNS = ["code", "iso", "iso3", "name", "valid_from", "valid_to", "kind", "why"]

_ISO3 = r"[A-Z]{3}"
_NES_NAME = r"(?i)\bnes\b"


def _read_text_csv(path: Path, sep: str = ",") -> pd.DataFrame:
    """A CSV of text; empty cells null. keep_default_na=False because "NA" is Namibia's ISO2."""
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_values=[""])


def _normalise_codes(values: pd.Series) -> pd.Series:
    """Numeric country codes as unpadded strings: 40, "040", "40.0" → "40"; "0", "000" → "0"."""
    text = values.astype("str").str.strip().str.replace(r"\.0+$", "", regex=True).str.lstrip("0")
    return text.mask(text == "", "0").where(values.notna() & (values.astype("str").str.strip() != ""))


def load_country_overrides(path: Path = OVERRIDES_PATH) -> pd.DataFrame:
    """The explicit code → ISO3 decisions, each with its reason.

    In: `country_overrides.csv` (code, iso, iso3, name, valid_from, valid_to, kind, why).
    Out: those columns, code normalised, years Int64. Raises RvcInputError naming the row when a
    column is missing, a kind is unknown, or iso3 is set for a kind that has none (or missing for one
    that needs it).
    """
    raw = _read_text_csv(path)
    missing = [c for c in OVERRIDE_COLUMNS if c not in raw.columns]
    if missing:
        raise RvcInputError(f"{path}: missing columns {missing}; expected {OVERRIDE_COLUMNS}.")
    frame = raw[OVERRIDE_COLUMNS].copy()
    frame["code"] = _normalise_codes(frame["code"])
    for column in ("valid_from", "valid_to"):
        frame[column] = pd.to_numeric(frame[column], errors="raise").astype("Int64")
    problems = []
    for line, row in zip(range(2, len(frame) + 2), frame.itertuples(index=False)):  # a few dozen rows
        if row.kind not in KINDS:
            problems.append(f"line {line}: kind {row.kind!r} is not one of {KINDS}")
        elif (row.kind in KINDS_WITH_ISO3) == pd.isna(row.iso3):
            problems.append(f"line {line}: kind {row.kind!r} {'needs' if pd.isna(row.iso3) else 'takes no'} iso3")
        if pd.isna(row.code) or pd.isna(row.name) or pd.isna(row.why):
            problems.append(f"line {line}: code, name and why are required")
    if problems:
        raise RvcInputError(f"{path}: " + "; ".join(problems) + ". Fix those rows.")
    return frame


def country_converter_codes() -> pd.DataFrame:
    """country_converter's own table as country_codes rows: ISO numeric → ISO3, kind "country".

    Reads the package's `country_data.tsv` directly: country_converter 1.3's CountryConverter()
    fails under pandas 3 (it reads Namibia's ISO2 "NA" as missing and then compiles it as a regex).
    Obsolete entries end the year before they became obsolete (SUN obsolete 1992 → valid_to 1991).
    """
    table = _read_text_csv(resources.files("country_converter") / "country_data.tsv", sep="\t")
    table = table[table["ISOnumeric"].notna() & table["ISO3"].notna()]
    obsolete = pd.to_numeric(table["obsolete"], errors="coerce").astype("Int64")
    frame = pd.DataFrame(
        {
            "code": _normalise_codes(table["ISOnumeric"]),
            "iso": table["ISO3"],
            "iso3": table["ISO3"],
            "name": table["name_short"],
            "valid_from": pd.array([pd.NA] * len(table), dtype="Int64"),
            "valid_to": obsolete - 1,
            "kind": "country",
            "source": "country_converter",
        }
    )
    return frame.reset_index(drop=True)


def comtrade_list_codes(lists: pd.DataFrame) -> pd.DataFrame:
    """country_codes rows from the stacked Comtrade lists (`load_country_lists` output).

    One row per numeric code, from the first list naming it (Comtrade+ partner, reporter, legacy).
    Kind: a group flag → "region_aggregate"; a name with "nes" → "nes_area"; an alpha-3 ISO →
    "country" (iso3 = that ISO); anything else (Comtrade+ pseudo codes like "_KS", "X1") → "special",
    so it is kept apart until an override says what it is.
    """
    first = lists.drop_duplicates("code", keep="first")
    iso = first["iso"].fillna("").str.upper()
    kind = pd.Series("special", index=first.index, dtype="str")
    kind = kind.mask(iso.str.fullmatch(_ISO3), "country")
    kind = kind.mask(first["name"].fillna("").str.contains(_NES_NAME), "nes_area")
    kind = kind.mask(first["is_group"], "region_aggregate")
    frame = pd.DataFrame(
        {
            "code": first["code"],
            "iso": first["iso"],
            "iso3": iso.where(kind == "country"),
            "name": first["name"],
            "valid_from": first["valid_from"],
            "valid_to": first["valid_to"],
            "kind": kind,
            "source": first["list_name"],
        }
    )
    return frame.reset_index(drop=True)


def build_country_codes(reference_dir: Path | None) -> pd.DataFrame:
    """The `country_codes` table: every known Comtrade numeric/ISO code with our ISO3 and validity.

    In: the reference folder (its `country_codes/` subfolder holds the Comtrade lists) or None to build
    from country_converter and the overrides only (enough for Japan, ASEAN, CHN, KOR, USA, DEU, World).
    Out: columns code (str, unpadded: "0", "764"), iso (as the source writes it: "S19", "W00", "DEU"),
    iso3 (ISO3, "WLD" for World, null for nes/special/region kinds), name, valid_from, valid_to
    (Int64 years, inclusive, null = open), kind (`KINDS`), source ("override", "comtradeplus_partner",
    "comtradeplus_reporter", "comtrade_legacy", "country_converter"). Unique on (code, iso); sorted by
    numeric code then iso. `attrs["lists"]` names the list files used.
    """
    overrides = load_country_overrides().drop(columns="why").assign(source="override")
    layers = [overrides]
    files: list[str] = []
    if reference_dir is not None:
        lists = load_country_lists(Path(reference_dir) / "country_codes")
        files = list(lists.attrs.get("files", []))
        layers.append(comtrade_list_codes(lists))
    layers.append(country_converter_codes())

    kept = []
    owned: set[str] = set()
    for layer in layers:
        fresh = layer[~layer["code"].isin(owned)]
        kept.append(fresh)
        owned |= set(fresh["code"])
    table = pd.concat(kept, ignore_index=True)[COUNTRY_CODES_COLUMNS]
    table = table.drop_duplicates(["code", "iso"], keep="first")
    table = table.assign(_code=table["code"].astype(int)).sort_values(["_code", "iso"], kind="stable")
    table = table.drop(columns="_code").reset_index(drop=True)
    table.attrs["lists"] = files
    return table


def _as_years(years: pd.Series | int | None, index: pd.Index) -> pd.Series:
    if years is None or pd.api.types.is_scalar(years):
        return pd.Series(pd.array([years] * len(index), dtype="Int64"), index=index)
    return pd.Series(pd.to_numeric(pd.Series(years).to_numpy(), errors="coerce"), index=index).astype("Int64")


def _normalise_iso(values: pd.Series) -> pd.Series:
    """ISO codes compared stripped and upper case ("_X " → "_X", "s19" → "S19"); empty → null."""
    text = values.astype("str").str.strip().str.upper()
    return text.mask(text == "")


def _distinct_pairs(
    raw_keys: pd.Series, years: pd.Series, rows: np.ndarray | None = None
) -> tuple[np.ndarray, pd.DataFrame]:
    """(row → pair id, one row per distinct raw key and year with its row count): a year holds millions
    of records but a few hundred distinct codes, so everything after this works on the pairs. `rows`: how
    many records each input value stands for (default 1 each)."""
    key_ids, key_values = pd.factorize(raw_keys.astype("str"), use_na_sentinel=False)
    year_ids, year_values = pd.factorize(years, use_na_sentinel=False)
    stride = len(year_values) + 1
    pair_ids, pair_values = pd.factorize(key_ids.astype(np.int64) * stride + year_ids)
    pairs = pd.DataFrame(
        {
            "raw_key": pd.Series(key_values, dtype="str").to_numpy()[pair_values // stride],
            "year": pd.array(year_values, dtype="Int64")[pair_values % stride],
            "rows": np.bincount(pair_ids, minlength=len(pair_values)) if rows is None
            else np.bincount(pair_ids, weights=rows, minlength=len(pair_values)).astype(np.int64),
        }
    )
    return pair_ids, pairs


def _map_by_year(
    raw_keys: pd.Series, years: pd.Series, normalise, table: pd.DataFrame, key_column: str, label: str,
    strict_years: bool, rows: np.ndarray | None = None,
) -> pd.Series:
    """Map keys to iso3 using the table rows valid in each year, on distinct (key, year) pairs.

    A key whose rows all lie outside the year still maps when they agree on one iso3 (the lists'
    validity years are descriptive and differ between lists, e.g. 254 ends 1995 in one, 1996 in the
    other), unless strict_years.
    """
    where = f"column {raw_keys.name!r}" if raw_keys.name is not None else "the values given"
    pair_ids, pairs = _distinct_pairs(raw_keys, years, rows)
    pairs["key"] = normalise(pairs["raw_key"]).to_numpy()
    known = pairs["key"].isin(table[key_column])
    if not known.all():
        unknown = pairs[~known].groupby("key", dropna=False)["rows"].sum().sort_index()
        listed = ", ".join(
            f"{'<empty>' if pd.isna(k) else repr(k)} ({n} row{'s' if n != 1 else ''})" for k, n in unknown.items()
        )
        raise RvcInputError(
            f"Unknown {label}(s) in {where}: {listed}. Expected a code from the Comtrade country lists "
            f"or {OVERRIDES_PATH.name}. Add a row for each to assets/data/{OVERRIDES_PATH.name} "
            "(code, iso, iso3, name, valid_from, valid_to, kind, why), or set RVC_REFERENCE to a folder whose "
            "country_codes/ holds the Comtrade lists."
        )
    pairs["pair"] = np.arange(len(pairs))
    candidates = pairs.merge(
        table[[key_column, "iso3", "valid_from", "valid_to"]].rename(columns={key_column: "key"}), on="key"
    )
    year = candidates["year"]
    in_range = (
        year.isna()
        | ((candidates["valid_from"].isna() | (year >= candidates["valid_from"]))
           & (candidates["valid_to"].isna() | (year <= candidates["valid_to"])))
    ).fillna(False).astype(bool)
    candidates["in_range"] = in_range
    has_in_range = candidates.groupby("pair")["in_range"].transform("any").astype(bool)
    if strict_years and not has_in_range.all():
        outside = candidates[~has_in_range].drop_duplicates("pair")
        listed = ", ".join(f"{k!r} in {y}" for k, y in zip(outside["key"], outside["year"]))
        raise RvcInputError(
            f"{label}(s) in {where} used outside their validity years: {listed}. "
            f"Check the record years, or widen valid_from/valid_to in assets/data/{OVERRIDES_PATH.name}."
        )
    chosen = candidates[in_range | ~has_in_range].assign(_iso3=lambda f: f["iso3"].fillna("<null>"))
    chosen = chosen.drop_duplicates(["pair", "_iso3"])
    ambiguous = chosen[chosen.duplicated("pair", keep=False)]
    if len(ambiguous):
        listed = ", ".join(
            f"{g['key'].iloc[0]!r} in {g['year'].iloc[0]}: {sorted(g['_iso3'])}" for _, g in ambiguous.groupby("pair")
        )
        raise RvcInputError(
            f"Ambiguous {label}(s) in {where}: {listed}. Each must map to one ISO3 per year; "
            f"add or fix rows in assets/data/{OVERRIDES_PATH.name}."
        )
    iso3_by_pair = chosen.set_index("pair")["iso3"].reindex(np.arange(len(pairs))).astype("str")
    return pd.Series(iso3_by_pair.to_numpy()[pair_ids], index=raw_keys.index, name="iso3", dtype="str")


def to_iso3(
    codes: pd.Series, years: pd.Series | int | None, country_codes: pd.DataFrame, *, strict_years: bool = False,
    rows: pd.Series | None = None,
) -> pd.Series:
    """Comtrade numeric codes ("764", "0", "490", also 764 or "040") → ISO3 for each record's year.

    In: codes, years (a Series aligned with codes, one int, or None to ignore validity), the
    `country_codes` table. Out: a str Series on codes' index: ISO3, "WLD" for 0, null for nes areas,
    special categories and region aggregates. Raises RvcInputError listing every unknown code with its
    row count and what to do (add it to country_overrides.csv). `rows` (aligned with codes): how many
    records each (code, year) stands for, when the caller passes distinct pairs (default 1 each).
    """
    codes = pd.Series(codes)
    counts = None if rows is None else pd.Series(rows).to_numpy(dtype=np.int64)
    return _map_by_year(codes, _as_years(years, codes.index), _normalise_codes, country_codes, "code",
                        "Comtrade country code", strict_years, counts)


def iso_to_iso3(
    isos: pd.Series, years: pd.Series | int | None, country_codes: pd.DataFrame, *, strict_years: bool = False
) -> pd.Series:
    """Comtrade/Comtrade+ ISO codes ("THA", "S19", "W00", "WLD", "_X ") → ISO3 for each record's year.

    Same contract as `to_iso3`, keyed on the table's `iso` column (compared stripped, upper case).
    An empty ISO (the legacy extracts leave 490's ISO blank) is reported as unknown: map the numeric
    code with `to_iso3` instead.
    """
    isos = pd.Series(isos)
    table = country_codes.assign(_iso=_normalise_iso(country_codes["iso"]))
    return _map_by_year(isos, _as_years(years, isos.index), _normalise_iso, table, "_iso", "Comtrade ISO code",
                        strict_years)


def load_regions(path: Path = REGIONS_PATH) -> pd.DataFrame:
    """Regions as data: one row per region member and membership period.

    In: `regions.csv`. Out: columns region, iso3 (ISO3 or "*" = every country, used by WLD),
    from_year, to_year (Int64, inclusive; null = open: a member counts for its whole accession year),
    note; sorted by region, iso3, from_year.
    """
    raw = _read_text_csv(path)
    missing = [c for c in REGION_COLUMNS if c not in raw.columns]
    if missing:
        raise RvcInputError(f"{path}: missing columns {missing}; expected {REGION_COLUMNS}.")
    frame = raw[REGION_COLUMNS].copy()
    for column in ("from_year", "to_year"):
        frame[column] = pd.to_numeric(frame[column], errors="raise").astype("Int64")
    return frame.sort_values(["region", "iso3", "from_year"], kind="stable").reset_index(drop=True)


def region_members(
    regions: pd.DataFrame, region: str, year: int, universe: Iterable[str] | None = None
) -> set[str]:
    """ISO3 members of `region` in `year` (e.g. ASEAN 1994 lacks VNM, ASEAN 1995 has it).

    In: the `load_regions` table, a region code, a year, and for a region with the "*" member (WLD)
    the universe of ISO3 codes it expands to. Raises RvcInputError for an unknown region, or for WLD
    without a universe.
    """
    rows = regions[regions["region"] == region]
    if rows.empty:
        raise RvcInputError(
            f"Unknown region {region!r}; regions.csv defines {sorted(regions['region'].unique())}. "
            "Use one of those or add the region to assets/data/regions.csv."
        )
    active = rows[(rows["from_year"].fillna(0) <= year) & (rows["to_year"].fillna(9999) >= year)]
    members = set(active["iso3"])
    if ALL_COUNTRIES in members:
        if universe is None:
            raise RvcInputError(
                f"Region {region!r} stands for every country: pass universe= (the ISO3 codes present) to expand it."
            )
        members = (members - {ALL_COUNTRIES}) | set(universe)
    return members


def api_country_table(reference_dir: Path) -> pd.DataFrame:
    """The country code table API-mode settings are resolved with (assets.sources.api_selection), built as the
    country_codes asset builds it: with the Comtrade lists of `<reference_dir>/country_codes/` when that folder
    exists."""
    return build_country_codes(reference_dir if (Path(reference_dir) / "country_codes").is_dir() else None)
