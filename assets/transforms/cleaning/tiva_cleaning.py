"""Cleaning of TiVA observations: `tiva_raw` in, canonical `tiva_clean` + rejects + step counts out.

Belongs here: unit normalization, code harmonization across TiVA editions, duplicate handling,
summing of split economies, the reject reasons, and pure check helpers used by asset checks.
Not here: reading files (`assets.sources.tiva_layouts`), the pandera models (`checks.tiva`).

Rules (each one a constant below, so a reader can see and test it):
- Units. USD values (UNIT_MEASURE ``USD`` or ``USD_EXC``, "US dollars, exchange-rate converted") become
  USD million (unit ``USD_M``): value × 10^(UNIT_MULT − 6). A USD row without UNIT_MULT is taken to be in
  millions: the OECD publishes TiVA monetary measures in USD million (UNIT_MULT 6 on the Data
  Explorer) and the real 2025 extracts, which lost the attribute, carry values such as CHN EXGR_DVA to
  OECD 2000 = 140440.664, i.e. USD 140 bn. Percentages (``PC``) stay in percent (unit ``PC``), scaled by
  10^UNIT_MULT when one is given (0 in practice). Any other unit is rejected (``unknown_unit``).
- Activities (`harmonize_activity`). Editions up to 2021 coded ISIC Rev.4 divisions as ``D`` + division
  numbers (``D29``, ``D10T12``, ``DTOTAL``); the 2023+ editions use the ISIC section letter. A ``Dnn`` or
  ``DnnTmm`` code becomes: a whole section → its letter (``D10T33`` → ``C``, ``D68`` → ``L``); several whole
  sections → ``X_Y`` for two, ``XTY`` for more (``D35T39`` → ``D_E``, ``D45T82`` → ``GTN``); divisions inside
  one section → letter + divisions, ``_`` between two adjacent ones, ``T`` for a longer range (``D29`` →
  ``C29``, ``D17T18`` → ``C17_18``, ``D10T12`` → ``C10T12``); ``DTOTAL`` → ``_T``. A range that cuts across a
  section boundary has no 2023+ code and is kept as given. New-edition codes (``C29``, ``D`` = electricity,
  ``D_E``) never match the old pattern, so the rule is safe on every edition.
- Areas. ``CN1``/``CN2`` (China processing / non-processing trade) → ``CHN`` and ``MX1``/``MX2`` (Mexico
  global manufacturing / other) → ``MEX`` are split economies: for additive measures (unit USD_M —
  values, not shares or ratios) the parts are summed into one row whose provenance lists every
  contributor; a split row of a share/ratio is rejected (``non_additive_split``); a split row whose
  combined economy is also published for the same key is rejected (``split_covered_by_total``); a
  group missing a part (CN1 without CN2) is rejected (``incomplete_split``) rather than passed off as
  China. One-to-one renames between editions: ``W`` → ``WLD`` (world), ``WXOECD`` → ``NONOECD``.
- Aggregates (`is_aggregate_area`): the codes in `AGGREGATE_AREAS` (TiVA 2018–2025 regions: world,
  OECD/non-OECD, ASEAN, APEC, EU/euro-area variants, G20, NAFTA, continents, rest of world) and any
  code that is not three letters (``EU27_2020``, ``S2_S8``, ``A5_A7``): flagged, never dropped.
- Duplicates. Key = measure, country, partner, activity, year, edition (after renames and activity
  harmonization, before split summing). Same key and same value (relative 1e-9, to forgive unit
  rescaling): the first row by source_file/source_row is kept, the others are ``duplicate_row``. Same key
  with different values: every row of the key is ``conflicting_duplicate`` (no way to choose).

Reject reasons: see `REJECT_REASONS` and docs/reject_reasons.md. Every raw row ends in exactly one of
`clean` (alone or as a contributor of a summed row) or `rejects`. `steps` counts rows and the USD value removed per step, in
US dollars like Comtrade's step tables (`value_removed_usd`, so the step tables of every stage read alike);
``split_summed`` counts contributor rows merged away (value conserved, so value_removed_usd is 0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from assets.vocabulary import TIVA_RAW_COLUMNS

UNIT_USD_MILLION = "USD_M"
UNIT_PERCENT = "PC"
USD_UNIT_CODES = frozenset({"USD", "USD_EXC"})
PERCENT_UNIT_CODES = frozenset({"PC"})
# OECD TiVA publishes monetary measures in USD million (UNIT_MULT 6); used when a file lost the attribute.
DEFAULT_USD_UNIT_MULT = 6
USD_PER_MILLION = 1e6  # step tables give removed value in US dollars (value_removed_usd), as Comtrade's do

SPLIT_AREAS = {"CN1": "CHN", "CN2": "CHN", "MX1": "MEX", "MX2": "MEX"}
SPLIT_PARTS = {"CHN": ("CN1", "CN2"), "MEX": ("MX1", "MX2")}
AREA_RENAMES = {"W": "WLD", "WXOECD": "NONOECD"}
AGGREGATE_AREAS = frozenset({
    "WLD", "W", "ROW", "WXD", "W_O", "OECD", "NONOECD", "WXOECD", "APEC", "ASEAN", "EASIA", "G20", "NAFTA",
    "EU", "EU13", "EU15", "EU27", "EU27_2020", "EU28", "EU28XEU15", "EA12", "EA19", "EA20",
    "E", "F", "S2", "S2_S8", "A5_A7", "ZEUR", "ZASI", "ZNAM", "ZSCA", "ZOTH",
})

# ISIC Rev.4 sections and their first and last divisions.
ISIC4_SECTIONS = {
    "A": (1, 3), "B": (5, 9), "C": (10, 33), "D": (35, 35), "E": (36, 39), "F": (41, 43), "G": (45, 47),
    "H": (49, 53), "I": (55, 56), "J": (58, 63), "K": (64, 66), "L": (68, 68), "M": (69, 75), "N": (77, 82),
    "O": (84, 84), "P": (85, 85), "Q": (86, 88), "R": (90, 93), "S": (94, 96), "T": (97, 98), "U": (99, 99),
}
_OLD_ACTIVITY = re.compile(r"^D(\d{2})(?:T(\d{2}))?$")

# The reason codes, in the order of the steps table; what each means and what to do about it:
# assets/data/reject_reasons.csv, rendered as docs/reject_reasons.md ("TiVA cleaning").
REJECT_REASONS: tuple[str, ...] = (
    "missing_key",
    "missing_value",
    "non_numeric_value",
    "unknown_unit",
    "duplicate_row",
    "conflicting_duplicate",
    "non_additive_split",
    "split_covered_by_total",
    "incomplete_split",
)
STEPS = [*REJECT_REASONS, "split_summed"]

KEY_COLUMNS = ["measure", "country", "partner", "activity", "year", "edition"]
TIVA_CLEAN_COLUMNS = [
    "measure", "country", "partner", "activity", "year", "value", "unit", "edition",
    "partner_is_aggregate", "country_is_aggregate", "source_file", "source_sha256", "source_row",
]
TIVA_REJECTS_COLUMNS = [*TIVA_RAW_COLUMNS, "reason", "message"]
STEPS_COLUMNS = ["step", "rows_removed", "value_removed_usd"]


@dataclass(frozen=True)
class TivaCleaningResult:
    """clean: `TIVA_CLEAN_COLUMNS`; rejects: `TIVA_REJECTS_COLUMNS`; steps: step, rows_removed, value_removed_usd."""

    clean: pd.DataFrame
    rejects: pd.DataFrame
    steps: pd.DataFrame


def harmonize_activity(code: str) -> str:
    """A TiVA activity code in the 2023+ coding (module docstring, "Activities"); other codes unchanged."""
    if code == "DTOTAL":
        return "_T"
    match = _OLD_ACTIVITY.match(code)
    if not match:
        return code
    first = int(match.group(1))
    last = int(match.group(2) or first)
    first_section = _section_of(first)
    last_section = _section_of(last)
    if first_section is None or last_section is None or first > last:
        return code
    whole = ISIC4_SECTIONS[first_section][0] == first and ISIC4_SECTIONS[last_section][1] == last
    if first_section == last_section:
        if whole:
            return first_section
        if first == last:
            return f"{first_section}{first:02d}"
        joiner = "_" if last == first + 1 else "T"
        return f"{first_section}{first:02d}{joiner}{last:02d}"
    if not whole:
        return code
    letters = list(ISIC4_SECTIONS)
    span = letters.index(last_section) - letters.index(first_section) + 1
    return f"{first_section}{'_' if span == 2 else 'T'}{last_section}"


def _section_of(division: int) -> str | None:
    for letter, (start, end) in ISIC4_SECTIONS.items():
        if start <= division <= end:
            return letter
    return None


def harmonize_area(code: str) -> str:
    """A TiVA area code across editions: split economies to their country, edition renames applied."""
    return SPLIT_AREAS.get(code, AREA_RENAMES.get(code, code))


def is_aggregate_area(code: str) -> bool:
    """True for TiVA regional/economic aggregates (listed, or any code that is not three letters)."""
    return code in AGGREGATE_AREAS or re.fullmatch(r"[A-Z]{3}", code) is None


def _usd_million_values(work: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(value in the canonical unit, canonical unit or missing when the unit is unknown)."""
    unit_code = work["unit_measure"].fillna("").str.upper()
    is_usd = unit_code.isin(USD_UNIT_CODES)
    is_pc = unit_code.isin(PERCENT_UNIT_CODES)
    mult = work["unit_mult"].astype("float64")
    usd_mult = mult.fillna(DEFAULT_USD_UNIT_MULT)
    pc_mult = mult.fillna(0)
    value = pd.Series(np.nan, index=work.index, dtype="float64")
    value[is_usd] = work.loc[is_usd, "obs_value"] * np.power(10.0, usd_mult[is_usd] - 6)
    value[is_pc] = work.loc[is_pc, "obs_value"] * np.power(10.0, pc_mult[is_pc])
    unit = pd.Series(pd.NA, index=work.index, dtype="str")
    unit[is_usd] = UNIT_USD_MILLION
    unit[is_pc] = UNIT_PERCENT
    return value, unit


def _map_codes(codes: pd.Series, rule, dtype: str = "str") -> pd.Series:
    """Apply a per-code rule once per distinct code (TiVA columns repeat few codes many times).

    Missing codes stay missing (text rules) — callers of bool rules pass codes that are never missing.
    """
    table = {code: rule(code) for code in codes.dropna().unique()}
    return codes.map(table).astype(dtype)


def _joined(values: pd.Series) -> str:
    return ";".join(str(v) for v in values)


class _Verdicts:
    """The reject reason (missing while the row is still in play) and message of every work row."""

    def __init__(self, index: pd.Index) -> None:
        self.reason = pd.Series(pd.NA, index=index, dtype="str")
        self.detail = pd.Series("", index=index, dtype="str")

    def alive(self) -> pd.Series:
        return self.reason.isna()

    def reject(self, mask: pd.Series, code: str, text: pd.Series | str) -> None:
        """Give `code` to the rows in `mask` not rejected yet (the first reason found wins)."""
        mask = mask.reindex(self.reason.index, fill_value=False).astype(bool) & self.alive()
        self.reason[mask] = code
        self.detail[mask] = text[mask] if isinstance(text, pd.Series) else text


def clean_tiva(raw: pd.DataFrame) -> TivaCleaningResult:
    """Clean `tiva_raw` rows (`TIVA_RAW_COLUMNS`) into canonical observations, rejects and step counts.

    clean: `TIVA_CLEAN_COLUMNS` — value float64 in USD million (unit USD_M) or percent (PC), codes
    harmonized across editions, aggregates flagged, provenance as ";"-joined lists for summed rows
    (source_file/source_sha256 a single entry when all contributors share one file, else aligned
    position by position with source_row); sorted by measure, country, partner, activity, year, edition.
    rejects: every raw column + reason (a `REJECT_REASONS` code) + message; sorted by source_file,
    source_row. steps: one row per `STEPS` entry, rows_removed (Int64), value_removed_usd (float64, US dollars).
    """
    work = raw[TIVA_RAW_COLUMNS].sort_values(["source_file", "source_row"], kind="stable").reset_index(drop=True)
    verdicts = _Verdicts(work.index)
    work["value"], work["unit"] = _usd_million_values(work)
    work["activity_h"] = _map_codes(work["activity"], harmonize_activity)
    for side in ("country", "partner"):
        work[f"{side}_r"] = _map_codes(work[side], lambda c: AREA_RENAMES.get(c, c))
        work[f"{side}_t"] = _map_codes(work[f"{side}_r"], lambda c: SPLIT_AREAS.get(c, c))
        work[f"{side}_split"] = work[f"{side}_r"].isin(list(SPLIT_AREAS))

    _reject_unusable(work, verdicts)
    _reject_duplicates(work, verdicts)
    _reject_unsummable_splits(work, verdicts)

    kept = work[verdicts.alive()]
    is_split = kept["country_split"] | kept["partner_split"]
    clean_split = _sum_split_groups(kept[is_split], _TARGET_KEY)
    clean = pd.concat([_direct_rows(kept[~is_split]), clean_split], ignore_index=True)
    clean["country_is_aggregate"] = _map_codes(clean["country"], is_aggregate_area, dtype="bool")
    clean["partner_is_aggregate"] = _map_codes(clean["partner"], is_aggregate_area, dtype="bool")
    clean = _typed_clean(clean.sort_values(KEY_COLUMNS, kind="stable").reset_index(drop=True))

    rejected = verdicts.reason.notna()
    rejects = work.loc[rejected, TIVA_RAW_COLUMNS].copy()
    rejects["reason"] = verdicts.reason[rejected]
    rejects["message"] = (
        work.loc[rejected, "source_file"] + " row " + work.loc[rejected, "source_row"].astype("str")
        + ": " + verdicts.detail[rejected]
    )
    rejects = rejects.reset_index(drop=True).astype({"reason": "str", "message": "str"})

    # What a removed row would have contributed, in US dollars; 0 for shares and unusable rows.
    usd_value = work["value"].where(work["unit"] == UNIT_USD_MILLION, 0.0).fillna(0.0) * USD_PER_MILLION
    steps = pd.DataFrame({
        "step": STEPS,
        "rows_removed": [int((verdicts.reason == s).sum()) for s in REJECT_REASONS]
        + [int(is_split.sum()) - len(clean_split)],
        "value_removed_usd": [float(usd_value[verdicts.reason == s].sum()) for s in REJECT_REASONS] + [0.0],
    }).astype({"step": "str", "rows_removed": "Int64", "value_removed_usd": "float64"})
    return TivaCleaningResult(clean=clean, rejects=rejects, steps=steps)


# Key after edition renames, before split summing (so CN1 and CN2 stay apart) / after summing.
_DEDUP_KEY = ["measure", "country_r", "partner_r", "activity_h", "year", "edition"]
_TARGET_KEY = ["measure", "country_t", "partner_t", "activity_h", "year", "edition"]


def _reject_unusable(work: pd.DataFrame, verdicts: _Verdicts) -> None:
    """Rows with no key, no number or no known unit."""
    verdicts.reject(work[KEY_COLUMNS].isna().any(axis=1), "missing_key",
                    "a key field (measure, country, partner, activity, year, edition) is empty; fix the extract")
    verdicts.reject(work["unparsed_value"].notna(), "non_numeric_value",
                    "OBS_VALUE '" + work["unparsed_value"].fillna("")
                    + "' is not a number; fix or re-download the extract")
    verdicts.reject(work["obs_value"].isna(), "missing_value", "OBS_VALUE is empty: no observation to clean")
    verdicts.reject(work["unit"].isna(), "unknown_unit",
                    "UNIT_MEASURE '" + work["unit_measure"].fillna("")
                    + "' is not USD, USD_EXC or PC; extend the unit rules or drop the series")


def _reject_duplicates(work: pd.DataFrame, verdicts: _Verdicts) -> None:
    """Repeated keys: later copies of an equal value, or every row of a key whose values differ."""
    live = work[verdicts.alive()]
    first_value = live.groupby(_DEDUP_KEY, sort=False, dropna=False)["value"].transform("first")
    live = live.assign(_differs=~np.isclose(live["value"], first_value, rtol=1e-9, atol=0.0))
    by_key = live.groupby(_DEDUP_KEY, sort=False, dropna=False)
    verdicts.reject(by_key["_differs"].transform("any"), "conflicting_duplicate",
                    "another row has the same key with a different value; keep one file per edition or fix the extract")
    verdicts.reject(by_key.cumcount() > 0, "duplicate_row", "same key and value as an earlier row, which is kept")


def _reject_unsummable_splits(work: pd.DataFrame, verdicts: _Verdicts) -> None:
    """Split-economy rows that cannot be summed: shares, covered by a published total, incomplete."""
    is_split = work["country_split"] | work["partner_split"]
    pair = work["country_t"].fillna("") + "/" + work["partner_t"].fillna("")
    verdicts.reject(is_split & (work["unit"] != UNIT_USD_MILLION), "non_additive_split",
                    "split economy " + work["country"].fillna("") + "/" + work["partner"].fillna("")
                    + " in a share or ratio cannot be summed into " + pair)

    direct = work[verdicts.alive() & ~is_split]
    split_rows = work[verdicts.alive() & is_split]
    if len(direct) and len(split_rows):
        covered = pd.MultiIndex.from_frame(split_rows[_TARGET_KEY]).isin(pd.MultiIndex.from_frame(direct[_TARGET_KEY]))
        verdicts.reject(pd.Series(covered, index=split_rows.index), "split_covered_by_total",
                        "the combined economy " + pair + " is published for the same key; that row is kept")

    split_rows = work[verdicts.alive() & is_split]
    if split_rows.empty:
        return
    by_target = split_rows.groupby(_TARGET_KEY, sort=False, dropna=False)
    size = by_target["value"].transform("size")
    needed = pd.Series(1, index=split_rows.index)
    complete = pd.Series(True, index=split_rows.index)
    for side in ("country", "partner"):
        n_split = by_target[f"{side}_split"].transform("sum")
        parts = split_rows[f"{side}_t"].map(lambda c: len(SPLIT_PARTS.get(c, (c,))))
        # On a split side every contributor must be a part (no CHN mixed with CN1) ...
        complete &= (n_split == 0) | (n_split == size)
        needed *= parts.where(n_split > 0, 1)
    # ... and every combination of parts present; rows are unique per original code pair after
    # de-duplication, so counting them is enough.
    complete &= size == needed
    verdicts.reject(~complete, "incomplete_split",
                    "the parts of " + pair + " for this key are not all present, so their sum is not the whole economy")


def _direct_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Clean columns of rows that need no summing (provenance: their own row)."""
    return pd.DataFrame({
        "measure": rows["measure"], "country": rows["country_t"], "partner": rows["partner_t"],
        "activity": rows["activity_h"], "year": rows["year"], "value": rows["value"], "unit": rows["unit"],
        "edition": rows["edition"], "source_file": rows["source_file"], "source_sha256": rows["source_sha256"],
        "source_row": rows["source_row"].astype("str"),
    })


def _sum_split_groups(rows: pd.DataFrame, target_key: list[str]) -> pd.DataFrame:
    """One row per target key: values summed, provenance joined in source order."""
    columns = ["measure", "country", "partner", "activity", "year", "value", "unit", "edition",
               "source_file", "source_sha256", "source_row"]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
    out = []
    for key, group in rows.groupby(target_key, sort=True, dropna=False):
        one_file = group["source_file"].nunique() == 1
        out.append({
            "measure": key[0], "country": key[1], "partner": key[2], "activity": key[3], "year": key[4],
            "value": float(group["value"].sum()), "unit": group["unit"].iloc[0], "edition": key[5],
            "source_file": group["source_file"].iloc[0] if one_file else _joined(group["source_file"]),
            "source_sha256": group["source_sha256"].iloc[0] if one_file else _joined(group["source_sha256"]),
            "source_row": _joined(group["source_row"]),
        })
    return pd.DataFrame(out, columns=columns)


def _typed_clean(frame: pd.DataFrame) -> pd.DataFrame:
    dtypes = {c: "str" for c in TIVA_CLEAN_COLUMNS}
    dtypes.update(year="Int64", value="float64", partner_is_aggregate="bool", country_is_aggregate="bool")
    return frame[TIVA_CLEAN_COLUMNS].astype(dtypes)


def contributing_rows(clean: pd.DataFrame) -> pd.DataFrame:
    """One row per raw row behind `clean`: source_file, source_row (Int64) — summed rows exploded.

    For the conservation check: these plus the rejects' (source_file, source_row) are every raw row.
    """
    rows = clean["source_row"].str.split(";")
    files = clean["source_file"].str.split(";")
    files = pd.Series([f * len(r) if len(f) == 1 else f for f, r in zip(files, rows)], index=clean.index, dtype=object)
    exploded = pd.DataFrame({"source_file": files, "source_row": rows}).explode(["source_file", "source_row"])
    return pd.DataFrame({
        "source_file": exploded["source_file"].astype("str").to_numpy(),
        "source_row": pd.to_numeric(exploded["source_row"]).astype("Int64").to_numpy(),
    })


def dva_fva_gap(clean: pd.DataFrame, rel_tol: float = 0.01, abs_tol: float = 0.01) -> pd.DataFrame:
    """Keys where EXGR_DVA + EXGR_FVA differs from EXGR by more than the tolerance (USD million rows).

    The decomposition EXGR = EXGR_DVA + EXGR_FVA holds by construction in the OECD ICIO model, but the
    three measures are published separately, each rounded (to 0.001 USD million) and, in some editions,
    computed in separate runs; 1% of EXGR (or 0.01 USD million for tiny cells, where rounding dominates)
    absorbs that, and still catches what matters: a unit mix-up (×1000), a measure from another
    edition or partner definition, a mis-summed split economy. Assumes COUNTERPART_AREA means the same
    (the destination) for the three measures.
    Returns country, partner, activity, year, edition, exgr, exgr_dva, exgr_fva, gap (DVA + FVA − EXGR),
    rel_gap (gap / EXGR), sorted by the key; no rows when all keys with the three measures agree.
    """
    key = ["country", "partner", "activity", "year", "edition"]
    columns = [*key, "exgr", "exgr_dva", "exgr_fva", "gap", "rel_gap"]
    measures = {"EXGR": "exgr", "EXGR_DVA": "exgr_dva", "EXGR_FVA": "exgr_fva"}
    rows = clean[(clean["unit"] == UNIT_USD_MILLION) & clean["measure"].isin(list(measures))]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    wide = rows.pivot_table(index=key, columns="measure", values="value", aggfunc="first", observed=True)
    wide = wide.rename(columns=measures).reindex(columns=list(measures.values())).dropna()
    wide["gap"] = wide["exgr_dva"] + wide["exgr_fva"] - wide["exgr"]
    wide["rel_gap"] = wide["gap"] / wide["exgr"]
    flagged = wide[wide["gap"].abs() > np.maximum(rel_tol * wide["exgr"].abs(), abs_tol)]
    return flagged.reset_index()[columns].sort_values(key, kind="stable").reset_index(drop=True)


def share_out_of_range(clean: pd.DataFrame) -> pd.DataFrame:
    """Percent rows (unit PC: TiVA's shares) with a value outside 0–100; `clean` columns, key order."""
    outside = (clean["unit"] == UNIT_PERCENT) & ((clean["value"] < 0) | (clean["value"] > 100))
    return clean[outside].sort_values(KEY_COLUMNS, kind="stable").reset_index(drop=True)
