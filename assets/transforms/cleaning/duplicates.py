"""Duplicate resolution for Comtrade rows: exact duplicates and conflicting releases of the same fact.

What belongs here: the fact key, the "latest release" order, and the two duplicate rules. Everything is done
on narrow numpy arrays (key ids, 64-bit row hashes, release order) with `np.lexsort`, so a 10–15 M-row year
is never sorted as a wide frame and only rows whose key occurs more than once are hashed.

"Latest release" = the larger of (retrieved_at, source_file, source_row), compared in that order:
- retrieved_at (ISO-8601, UTC) is the only real timestamp a row carries (API responses); a row that has one
  counts as later than a row that has none;
- else the source_file name that sorts later: extracts are named by what and when they were fetched
  (e.g. `..._2026-02-20.json`), so the later name is the later download, and the rule is deterministic;
- else the later row of the same file: files are appended to, so a later row is a later revision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from assets.errors import RvcInputError
from assets.transforms.cleaning.row_rules import shown

PROVENANCE_COLUMNS: tuple[str, ...] = (
    "source_file",
    "source_sha256",
    "source_row",
    "source_layout",
    "api_query",
    "retrieved_at",
)
_INT64_MAX = np.iinfo(np.int64).max


@dataclass(frozen=True)
class ReleaseOrder:
    """Per raw row: retrieval time (int64, NaT smallest), rank of source_file in name order, source_row."""

    retrieved: np.ndarray
    file_rank: np.ndarray
    row: np.ndarray

    def lexsort_keys(self, positions: np.ndarray) -> tuple[np.ndarray, ...]:
        """Least significant first, as `np.lexsort` wants them."""
        return self.row[positions], self.file_rank[positions], self.retrieved[positions]


@dataclass(frozen=True)
class DuplicateResolution:
    """Row positions that lose, each paired with the position of the row kept in their place."""

    exact_duplicates: np.ndarray
    exact_kept: np.ndarray
    superseded: np.ndarray
    superseded_by: np.ndarray


def release_order(raw: pd.DataFrame) -> ReleaseOrder:
    """The release order of every raw row (see the module docstring). Bad retrieved_at raises RvcInputError."""
    # Parsed once per distinct value: a file's rows share one retrieval time.
    codes, texts = pd.factorize(raw["retrieved_at"])
    stamps = pd.to_datetime(pd.Series(texts, dtype="str"), utc=True, format="ISO8601", errors="coerce")
    if stamps.isna().any():
        bad_text = texts[int(np.flatnonzero(stamps.isna().to_numpy())[0])]
        first = int(np.flatnonzero((raw["retrieved_at"] == bad_text).to_numpy())[0])
        raise RvcInputError(
            f"{raw['source_file'].iloc[first]} row {raw['source_row'].iloc[first]}: retrieved_at "
            f"{bad_text!r} is not an ISO-8601 timestamp; the reader must write e.g. '2026-02-20T10:00:00Z' or null"
        )
    # A missing retrieved_at (code -1 → the appended NaT) is the smallest int64, so it sorts before any time.
    distinct = stamps.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]").view(np.int64)
    retrieved = np.append(distinct, np.datetime64("NaT", "ns").view(np.int64))[codes]
    file_rank = pd.factorize(raw["source_file"], sort=True)[0].astype(np.int64)
    row = raw["source_row"].to_numpy(dtype=np.int64, na_value=-1)
    return ReleaseOrder(retrieved=retrieved, file_rank=file_rank, row=row)


def release_rank(order: ReleaseOrder) -> np.ndarray:
    """Dense rank of each row's release (retrieved_at, source_file) in the input, 1 = latest (Int64-ready)."""
    releases = pd.DataFrame({"retrieved": order.retrieved, "file": order.file_rank})
    ascending = releases.groupby(["retrieved", "file"], sort=True).ngroup().to_numpy()
    return ascending.max(initial=-1) + 1 - ascending


def fact_key_ids(columns: list[pd.Series]) -> np.ndarray:
    """One int64 id per row for the combination of `columns`, ordered like the lexicographic order of the values.

    Each column is factorized with sorted codes and the codes are combined positionally, which is exact (no
    hash collisions) and keeps the key order, so sorting by the id sorts by the key.
    """
    ids = np.zeros(len(columns[0]), dtype=np.int64)
    capacity = 1
    for column in columns:
        codes, uniques = pd.factorize(column, sort=True, use_na_sentinel=False)
        radix = len(uniques) + 1
        capacity *= radix
        if capacity >= _INT64_MAX:  # absurd cardinalities: fall back to a group number
            frame = pd.DataFrame({str(i): c.to_numpy() for i, c in enumerate(columns)})
            return frame.groupby(list(frame.columns), sort=True, dropna=False).ngroup().to_numpy(dtype=np.int64)
        ids = ids * radix + codes
    return ids


def _group_last(sorted_groups: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """For rows already sorted by group (and by release within it): each row's group number and the index of
    the last (latest) row of every group."""
    n = len(sorted_groups[0])
    starts = np.ones(n, dtype=bool)
    for values in sorted_groups:
        starts[1:] &= values[1:] == values[:-1]
    starts = ~starts
    starts[0] = True
    group = np.cumsum(starts) - 1
    last = np.r_[np.flatnonzero(starts)[1:] - 1, n - 1]
    return group, last


def _losers(positions: np.ndarray, sorted_index: np.ndarray, group_keys: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Given rows sorted by (group_keys..., release), the positions that lose and the position kept for each."""
    if len(sorted_index) == 0:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    group, last = _group_last([keys[sorted_index] for keys in group_keys])
    winner = last[group]
    losing = winner != np.arange(len(sorted_index))
    ordered = positions[sorted_index]
    return ordered[losing], ordered[winner[losing]]


def resolve_duplicates(raw: pd.DataFrame, candidates: np.ndarray, key_ids: np.ndarray, order: ReleaseOrder) -> DuplicateResolution:
    """Exact duplicates, then conflicting duplicates, among the `candidates` rows (positions in raw).

    `key_ids` are the fact-key ids of the candidates. Exact duplicates have the same key and the same 64-bit hash
    of every source field (provenance excluded); the latest copy is kept. Conflicting duplicates are the
    remaining rows sharing a key; the latest release is kept. Requiring the key as well as the hash makes a
    hash collision irrelevant in practice (two different rows of the same key with equal 64-bit hashes).
    """
    repeated = pd.Series(key_ids).duplicated(keep=False).to_numpy()
    if not repeated.any():
        nothing = np.array([], dtype=np.int64)
        return DuplicateResolution(nothing, nothing, nothing, nothing)
    positions = candidates[repeated]
    keys = key_ids[repeated]
    source_columns = [c for c in raw.columns if c not in PROVENANCE_COLUMNS]
    hashes = pd.util.hash_pandas_object(raw.iloc[positions][source_columns], index=False).to_numpy()

    by_copy = np.lexsort((*order.lexsort_keys(positions), hashes, keys))
    exact, exact_kept = _losers(positions, by_copy, [keys, hashes])

    is_exact = np.zeros(len(raw), dtype=bool)
    is_exact[exact] = True
    remaining = ~is_exact[positions]
    positions, keys = positions[remaining], keys[remaining]
    by_release = np.lexsort((*order.lexsort_keys(positions), keys))
    superseded, superseded_by = _losers(positions, by_release, [keys])
    return DuplicateResolution(exact, exact_kept, superseded, superseded_by)


def duplicate_messages(raw: pd.DataFrame, resolution: DuplicateResolution, order: ReleaseOrder) -> pd.Series:
    """Messages naming the kept row's file and row for every duplicate, indexed by row position."""
    if len(resolution.exact_duplicates) + len(resolution.superseded) == 0:
        return pd.Series([], dtype="str")

    def at(column: str, positions: np.ndarray) -> pd.Series:
        return pd.Series(raw[column].iloc[positions].to_numpy(), dtype=raw[column].dtype)

    def kept_row(kept: np.ndarray) -> pd.Series:
        return shown(at("source_file", kept)) + " row " + at("source_row", kept).astype("str")

    loser, winner = resolution.superseded, resolution.superseded_by
    # The copy kept by the exact-duplicate rule may itself lose to a later release afterwards: say so.
    final = np.full(len(raw), -1, dtype=np.int64)
    final[loser] = winner
    later = final[resolution.exact_kept]
    fate = pd.Series(", which is kept", index=range(len(later)), dtype="str")
    if (later >= 0).any():
        fate[later >= 0] = (", itself superseded by " + kept_row(later[later >= 0])).to_numpy()
    exact = "identical source fields to " + kept_row(resolution.exact_kept) + fate
    criterion = pd.Series("a later row of the same file", index=range(len(loser)), dtype="str")
    criterion = criterion.mask(order.file_rank[winner] != order.file_rank[loser], "its source_file name sorts later")
    criterion = criterion.mask(
        order.retrieved[winner] != order.retrieved[loser],
        "retrieved_at " + shown(at("retrieved_at", winner)) + " vs " + shown(at("retrieved_at", loser)),
    )
    superseded = (
        "superseded by " + kept_row(winner) + " (later release: " + criterion + "); primaryValue here "
        + at("primaryValue", loser).astype("str").fillna("<empty>") + ", kept "
        + at("primaryValue", winner).astype("str").fillna("<empty>")
    )
    return pd.concat([
        pd.Series(exact.to_numpy(dtype=object), index=resolution.exact_duplicates),
        pd.Series(superseded.to_numpy(dtype=object), index=loser),
    ]).astype("str")
