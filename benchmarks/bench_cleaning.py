"""Benchmark of `clean_comtrade` on N synthetic comtrade_raw rows: prints rows/s and peak RSS.

Usage: python benchmarks/bench_cleaning.py [N]   (default 1_000_000; a full Comtrade year is 10–15 M rows)

The synthetic year looks like a Comtrade+ bulk year at HS6: 60 reporters × 220 partners × 5,000 HS6 codes
sampled at random, flows X/M/RX/RM, ~3 % TOTAL/2/4-digit rows, ~2 % partner World, ~5 % transport
breakdowns, ~1 % exact duplicates from a second file and ~1 % conflicting re-releases. A command, not a test.
"""

from __future__ import annotations

import gc
import resource
import sys
import time

import numpy as np
import pandas as pd

from assets.transforms.comtrade_cleaning import clean_comtrade


def synthetic_raw(n: int, seed: int = 2017) -> pd.DataFrame:
    """N raw rows in the canonical comtrade_raw columns (the ones cleaning reads, plus descriptions)."""
    rng = np.random.default_rng(seed)
    reporters = np.array([str(c) for c in range(4, 4 + 60 * 4, 4)], dtype=object)
    partners = np.array(["0", "899", *[str(c) for c in range(8, 8 + 218 * 4, 4)]], dtype=object)
    hs6 = np.array([f"{c:06d}" for c in rng.choice(np.arange(10_000, 970_000), 5_000, replace=False)], dtype=object)
    codes = hs6[rng.integers(0, len(hs6), n)]
    level = rng.random(n)
    codes = np.where(level < 0.01, "TOTAL", codes)
    codes = np.where((level >= 0.01) & (level < 0.02), pd.Series(codes).str[:2].to_numpy(), codes)
    codes = np.where((level >= 0.02) & (level < 0.03), pd.Series(codes).str[:4].to_numpy(), codes)
    partner = partners[np.minimum(rng.integers(0, len(partners), n), len(partners) - 1)]
    partner = np.where(rng.random(n) < 0.02, "0", partner)
    value = np.round(rng.lognormal(10, 2, n))
    frame = pd.DataFrame({
        "typeCode": "C", "freqCode": "A", "period": "2017", "refYear": pd.array(np.full(n, 2017), dtype="Int64"),
        "reporterCode": reporters[rng.integers(0, len(reporters), n)], "reporterISO": "XXX", "reporterDesc": "Reporter",
        "flowCode": np.array(["X", "M", "RX", "RM"], dtype=object)[rng.choice(4, n, p=[0.45, 0.45, 0.05, 0.05])],
        "flowDesc": "Flow", "partnerCode": partner, "partnerISO": np.where(partner == "0", "W00", "YYY"),
        "partnerDesc": "Partner", "partner2Code": "0", "partner2ISO": "W00", "partner2Desc": "World",
        "classificationCode": "H5", "classificationSearchCode": "HS", "cmdCode": codes, "cmdDesc": "Commodity",
        "customsCode": "C00", "customsDesc": "TOTAL CPC", "mosCode": "0",
        "motCode": np.where(rng.random(n) < 0.05, "1000", "0"), "motDesc": "MOT",
        "qtyUnitCode": "8", "qtyUnitAbbr": "kg", "qty": np.where(rng.random(n) < 0.2, 0.0, value / 3),
        "isQtyEstimated": pd.array(rng.random(n) < 0.1, dtype="boolean"), "netWgt": value / 3,
        "isNetWgtEstimated": pd.array(rng.random(n) < 0.1, dtype="boolean"),
        "legacyEstimationFlag": pd.array(np.zeros(n, dtype=np.int64), dtype="Int64"),
        "cifvalue": np.nan, "fobvalue": value, "primaryValue": value,
        "source_file": "bulk/2017_a.parquet", "source_sha256": "a" * 64,
        "source_row": pd.array(np.arange(1, n + 1), dtype="Int64"), "source_layout": "plus_bulk",
        "api_query": None, "retrieved_at": None, "unparsed_fields": None, "extra_fields": None,
    })
    # a second release file: ~1 % exact copies and ~1 % re-released rows with a revised value
    copied = frame.sample(frac=0.02, random_state=seed).copy()
    revised = np.arange(len(copied)) % 2 == 1
    copied.loc[copied.index[revised], "primaryValue"] = copied.loc[copied.index[revised], "primaryValue"] + 1
    copied["source_file"] = "bulk/2017_b.parquet"
    copied["source_row"] = pd.array(np.arange(1, len(copied) + 1), dtype="Int64")
    frame = pd.concat([frame, copied], ignore_index=True)
    return frame.astype({c: "str" for c in frame.columns if frame[c].dtype == object})


def _current_rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000
    raw = synthetic_raw(n)
    gc.collect()
    input_mib = raw.memory_usage(deep=True).sum() / 2**20
    rss_before_mib = _current_rss_mib()
    start = time.perf_counter()
    result = clean_comtrade(raw)
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(f"raw rows:      {len(raw):,}")
    print(f"clean/totals/rejects: {len(result.clean):,} / {len(result.totals):,} / {len(result.rejects):,}")
    print(f"time:          {seconds:.1f} s  ({len(raw) / seconds:,.0f} rows/s)")
    print(f"input frame:   {input_mib:,.0f} MiB; process RSS before cleaning {rss_before_mib:,.0f} MiB")
    print(f"peak RSS:      {peak_mib:,.0f} MiB (process; building the synthetic frame may set it)")
    print(result.steps[result.steps["rows_removed"] > 0].to_string(index=False))


if __name__ == "__main__":
    main()
