"""`make bench`: the pipeline's heavy yearly stages against a plain staged DuckDB plan, on one generated year.

What belongs here: the stage tables (what each stage runs), running each stage in its own process while
measuring wall time, CPU time and the peak RSS of its whole process tree, and the report (table + JSON). What does not:
the synthetic year (benchmarks/generate_year.py) or the plain plan's SQL (benchmarks/plain_plan.py).

Usage (from the repository root):
    python benchmarks/bench.py [--rows 1000000] [--year 2019] [--seed S] [--stages raw,clean]
                               [--skip-pipeline] [--skip-plain] [--max-rss-gib 16] [--memory-limit 3GB]
RVC_REFERENCE (a folder like shared/data/real) gives the generator the full Comtrade+ code lists.

The plain plan has raw, clean and trade_flows. Its trade_flows reads the pipeline's own comtrade_clean and
the hs_conversion_weights and country_codes of the same run (so both plans reconcile the same table; put
reference and weights in --stages); with --skip-pipeline it reads the plain clean output with an identity
weights table and a country table built from the clean table's ISO columns (plain_trade_flows_inputs).

The generated year is cached in benchmarks/.data/ (name keyed by N, year, seed, code lists and generator
source); each run's warehouses and spill folders go to a fresh /tmp/bench-* folder, removed at the end unless
--keep. Results: a Markdown table on stdout and benchmarks/.results/<date>-<N>.json. Exit status 1 when a
pipeline stage fails (a failed stage is reported with its exit status and the tail of its stderr).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
from benchmarks.generate_year import DEFAULT_SEED, cache_name, default_reference, generate_year  # noqa: E402

DATA_DIR = REPO_ROOT / "benchmarks" / ".data"
RESULTS_DIR = REPO_ROOT / "benchmarks" / ".results"
POLL_SECONDS = 0.1
GIB = 2**30

# The pipeline's stages: (name, Dagster asset selection, partitioned by year). One line adds a stage.
PIPELINE_STAGES: tuple[tuple[str, str, bool], ...] = (
    ("raw", "comtrade_raw", True),
    ("clean", "comtrade_clean,comtrade_totals,comtrade_rejects", True),
    ("reference", "hs_concordance,product_groups,country_codes,regions", False),  # inputs of trade_flows
    ("weights", "hs_conversion_weights", False),  # input of trade_flows: H0 trade pooled over the stored years
    ("trade_flows", "trade_flows", True),
    ("country_totals", "country_totals", True),
)
DEFAULT_STAGES = ("raw", "clean")
# The plain plan's stages (benchmarks/plain_plan.py), by the same names.
PLAIN_STAGES: tuple[str, ...] = ("raw", "clean", "trade_flows")
# Asset files whose rows are counted after a pipeline stage (<warehouse>/<asset>/<year>.parquet).
STAGE_OUTPUTS = {"raw": ("comtrade_raw",), "clean": ("comtrade_clean", "comtrade_totals", "comtrade_rejects"),
                 "trade_flows": ("trade_flows",), "country_totals": ("country_totals",)}
# Stages both plans run from the same generated file, so their row counts must agree exactly. The plain
# trade_flows starts from the pipeline's own clean table (see run_plain); its count is printed beside the
# pipeline's on a line of its own.
AGREEING_STAGES = ("raw", "clean")


@dataclass
class Measurement:
    stage: str
    plan: str  # "pipeline" or "plain"
    command: list[str]
    seconds: float = 0.0
    cpu_seconds: float | None = None  # user + system CPU of the process and the children it waited for
    peak_rss_bytes: int = 0
    exit_status: int | None = None
    killed_over_gib: float | None = None
    stderr_tail: str = ""
    rows: dict = field(default_factory=dict)
    inputs: str = ""  # where a stage's input tables came from, when that is a choice (plain trade_flows)

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


# --------------------------------------------------------------------------------------------------
# Process-tree RSS from /proc (psutil is not in the pinned environment; this is Linux-only, like the target)
# --------------------------------------------------------------------------------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:  # the process ended while we looked
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])  # fields after "(comm)": state, ppid, ...
        children.setdefault(ppid, []).append(int(entry))
    return children


def tree_rss_bytes(root: int) -> int:
    """Sum of the resident set sizes of `root` and all its descendants."""
    children = _children_map()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * _PAGE
        except OSError:
            pass
        stack.extend(children.get(pid, ()))
    return total


def run_measured(measurement: Measurement, env: dict[str, str], log_dir: Path, max_rss_gib: float) -> Measurement:
    """Run the command in its own session; poll the tree's RSS every POLL_SECONDS; kill it above max_rss_gib."""
    log_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{measurement.plan}-{measurement.stage}"
    out_path, err_path = log_dir / f"{stem}.stdout", log_dir / f"{stem}.stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(measurement.command, cwd=REPO_ROOT, env=env, stdout=out, stderr=err,
                                   start_new_session=True)
        peak = 0
        while True:
            # wait4 rather than poll: it also gives the CPU time the stage used, a figure the other work on a
            # shared machine disturbs much less than the wall-clock time.
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                process.returncode = os.waitstatus_to_exitcode(status)
                measurement.cpu_seconds = round(usage.ru_utime + usage.ru_stime, 2)
                break
            rss = tree_rss_bytes(process.pid)
            peak = max(peak, rss)
            if rss > max_rss_gib * GIB:
                measurement.killed_over_gib = round(rss / GIB, 2)
                os.killpg(process.pid, signal.SIGKILL)  # the session we started, so the whole stage tree
                process.wait()
                break
            time.sleep(POLL_SECONDS)
        measurement.seconds = round(time.perf_counter() - start, 2)
    measurement.peak_rss_bytes = peak
    measurement.exit_status = process.returncode
    if not measurement.ok:
        measurement.stderr_tail = "\n".join(err_path.read_text(errors="replace").splitlines()[-15:])
    return measurement


# --------------------------------------------------------------------------------------------------
# The two plans
# --------------------------------------------------------------------------------------------------


def _dagster_executable() -> str:
    candidate = Path(sys.executable).with_name("dagster")
    return str(candidate) if candidate.exists() else "dagster"


def pipeline_env(extracts: Path, warehouse: Path, dagster_home: Path, year: int, memory_limit: str) -> dict[str, str]:
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = dict(os.environ)
    env.update({
        "RVC_EXTRACTS": str(extracts), "RVC_WAREHOUSE": str(warehouse), "DAGSTER_HOME": str(dagster_home),
        "RVC_END_YEAR": str(year),
        # Both plans get the same DuckDB memory budget, so neither spills where the other does not.
        "RVC_DUCKDB_MEMORY_LIMIT": memory_limit,
        # The project's code from this checkout, not whatever the venv's editable install points at.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    })
    return env


def check_code_location(env: dict[str, str]) -> None:
    """Fail early when the stage processes would import the project from another checkout."""
    python = Path(_dagster_executable()).with_name("python")
    python = str(python) if python.exists() else sys.executable
    found = subprocess.run([python, "-c", "import assets; print(assets.__file__)"], cwd=REPO_ROOT, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    if not Path(found).resolve().is_relative_to(REPO_ROOT):
        raise SystemExit(f"stage processes import assets from {found}, not from {REPO_ROOT}; check PYTHONPATH")


def pipeline_command(selection: str, partitioned: bool, year: int) -> list[str]:
    command = [_dagster_executable(), "asset", "materialize", "-m", "pipelines.definitions", "-d", str(REPO_ROOT),
               "--select", selection]
    return command + (["--partition", str(year)] if partitioned else [])


def count_rows(paths: dict[str, Path]) -> dict[str, int]:
    import duckdb  # Parquet footers only

    counts = {}
    con = duckdb.connect()
    for name, path in paths.items():
        if path.exists():
            counts[name] = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
    con.close()
    return counts


def run_pipeline(stages: list[str], year_file: Path, year: int, work: Path, max_rss_gib: float,
                 memory_limit: str) -> list[Measurement]:
    extracts = work / "pipeline" / "extracts"
    (extracts / "comtrade").mkdir(parents=True, exist_ok=True)
    linked = extracts / "comtrade" / f"bench_comtrade_{year}.tsv.gz"
    try:  # a hard link: the readers resolve paths, and a symlink would resolve outside the extracts folder
        os.link(year_file, linked)
    except OSError:
        shutil.copyfile(year_file, linked)
    warehouse = work / "pipeline" / "warehouse"
    env = pipeline_env(extracts, warehouse, work / "pipeline" / "dagster_home", year, memory_limit)
    check_code_location(env)
    table = {name: (selection, partitioned) for name, selection, partitioned in PIPELINE_STAGES}
    results = []
    for stage in stages:
        selection, partitioned = table[stage]
        m = Measurement(stage, "pipeline", pipeline_command(selection, partitioned, year))
        print(f"pipeline {stage}: {' '.join(m.command[1:])}", flush=True)
        run_measured(m, env, work / "logs", max_rss_gib)
        m.rows = count_rows({a: warehouse / a / f"{year}.parquet" for a in STAGE_OUTPUTS.get(stage, ())})
        print(f"  {_status(m)}", flush=True)
        results.append(m)
    return results


def derived_trade_flows_inputs(clean: Path, folder: Path) -> tuple[Path, Path]:
    """Without the pipeline's reference stages: an identity weights table (every non-H0 code of `clean` to
    itself, weight 1) and a country table from the clean table's own ISO codes (alpha-3 → that ISO3; code 0,
    W00, WLD → WLD; anything else → no ISO3, set aside like the pipeline's special categories)."""
    import duckdb

    weights, codes = folder / "identity_hs_conversion_weights.parquet", folder / "clean_country_codes.parquet"
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT DISTINCT classification AS from_vintage, cmd_code AS from_code, cmd_code AS to_code,
                                  1.0 AS weight, 'identity' AS weight_method
                           FROM read_parquet('{clean}') WHERE classification <> 'H0')
                    TO '{weights}' (FORMAT parquet, COMPRESSION zstd)""")
    con.execute(f"""COPY (SELECT code, arg_min(iso3, iso3) AS iso3, NULL::BIGINT AS valid_from, NULL::BIGINT AS valid_to
                           FROM (SELECT code, CASE WHEN code = '0' OR iso IN ('W00', 'WLD') THEN 'WLD'
                                                   WHEN regexp_full_match(iso, '[A-Z]{{3}}') THEN iso END AS iso3
                                 FROM (SELECT reporter_code AS code, reporter_iso AS iso FROM read_parquet('{clean}')
                                       UNION SELECT partner_code, partner_iso FROM read_parquet('{clean}')))
                           GROUP BY code)
                    TO '{codes}' (FORMAT parquet, COMPRESSION zstd)""")
    con.close()
    return weights, codes


def plain_trade_flows_inputs(work: Path, year: int) -> tuple[list[str], str]:
    """The plain trade_flows stage's arguments and a note of where they came from.

    With the pipeline run: its own comtrade_clean of the year and the hs_conversion_weights and country_codes
    of the same run, so both plans start from the same tables. Otherwise (--skip-pipeline, or a pipeline run
    without the reference and weights stages): the plain clean output with derived_trade_flows_inputs."""
    warehouse = work / "pipeline" / "warehouse"
    pipeline = (warehouse / "comtrade_clean" / f"{year}.parquet", warehouse / "hs_conversion_weights.parquet",
                warehouse / "country_codes.parquet")
    if all(path.is_file() for path in pipeline):
        clean, weights, codes = pipeline
        note = "the pipeline's comtrade_clean, hs_conversion_weights and country_codes"
    else:
        clean = work / "plain" / "comtrade_clean.parquet"
        if not clean.is_file():
            raise SystemExit(f"plain trade_flows: neither the pipeline's tables ({', '.join(str(p) for p in pipeline)}) "
                             f"nor the plain clean output {clean} exist; put clean (and, with the pipeline, "
                             "reference and weights) before trade_flows in --stages.")
        weights, codes = derived_trade_flows_inputs(clean, work / "plain")
        note = "the plain comtrade_clean, identity HS weights and codes from its own ISO columns"
    return ["--input", str(clean), "--weights", str(weights), "--codes", str(codes)], note


def run_plain(stages: list[str], year_file: Path, year: int, work: Path, max_rss_gib: float,
              memory_limit: str) -> list[Measurement]:
    out = work / "plain"
    inputs = {"raw": year_file, "clean": out / "comtrade_raw.parquet"}
    results = []
    for stage in [s for s in stages if s in PLAIN_STAGES]:
        note = ""
        if stage == "trade_flows":  # prepared before the measured process: not part of the stage's time
            arguments, note = plain_trade_flows_inputs(work, year)
        else:
            arguments = ["--input", str(inputs[stage])]
        command = [sys.executable, str(REPO_ROOT / "benchmarks" / "plain_plan.py"), stage, *arguments,
                   "--out", str(out), "--year", str(year), "--memory-limit", memory_limit,
                   "--temp-dir", str(work / "plain" / "duckdb_tmp")]
        m = Measurement(stage, "plain", command, inputs=note)
        print(f"plain {stage}: plain_plan.py {stage}" + (f" (from {note})" if note else ""), flush=True)
        run_measured(m, dict(os.environ), work / "logs", max_rss_gib)
        if m.ok:
            lines = (work / "logs" / f"plain-{stage}.stdout").read_text().strip().splitlines()
            m.rows = json.loads(lines[-1])
        print(f"  {_status(m)}", flush=True)
        results.append(m)
    return results


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def _status(m: Measurement) -> str:
    if m.ok:
        return f"ok {m.seconds:.1f} s (CPU {_fmt(m.cpu_seconds)} s), peak {m.peak_rss_bytes / GIB:.2f} GiB, rows {m.rows}"
    why = f"killed above {m.killed_over_gib} GiB" if m.killed_over_gib else f"exit status {m.exit_status}"
    return f"FAILED ({why}) after {m.seconds:.1f} s, peak {m.peak_rss_bytes / GIB:.2f} GiB\n{m.stderr_tail}"


def machine_facts() -> dict:
    with open("/proc/meminfo", encoding="ascii") as handle:
        mem_kib = int(next(line for line in handle if line.startswith("MemTotal")).split()[1])

    def version(package: str) -> str | None:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "cores": os.cpu_count(),
        "ram_gib": round(mem_kib / 2**20, 1), "python": platform.python_version(), "duckdb": version("duckdb"),
        "dagster": version("dagster"), "pandas": version("pandas"), "load_average_at_start": os.getloadavg(),
        "platform": platform.platform(),
    }


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or b is None or b == 0 else f"{a / b:.1f}×"


def report_table(stages: list[str], measured: list[Measurement]) -> str:
    by = {(m.plan, m.stage): m for m in measured}
    lines = ["| stage | pipeline s | plain s | ratio | pipeline CPU s | plain CPU s | ratio "
             "| pipeline peak GiB | plain peak GiB | ratio |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for stage in stages:
        p, q = by.get(("pipeline", stage)), by.get(("plain", stage))
        p_ok, q_ok = p is not None and p.ok, q is not None and q.ok
        p_s, q_s = (p.seconds if p_ok else None), (q.seconds if q_ok else None)
        p_c, q_c = (p.cpu_seconds if p_ok else None), (q.cpu_seconds if q_ok else None)
        p_g, q_g = (p.peak_rss_bytes / GIB if p_ok else None), (q.peak_rss_bytes / GIB if q_ok else None)
        p_s_text = _fmt(p_s) if p is None or p.ok else f"failed ({_fmt(p.seconds)})"
        p_g_text = _fmt(p_g, 2) if p is None or p.ok else f"failed ({_fmt(p.peak_rss_bytes / GIB, 2)})"
        lines.append(f"| {stage} | {p_s_text} | {_fmt(q_s)} | {_ratio(p_s, q_s)} | {_fmt(p_c)} | {_fmt(q_c)} "
                     f"| {_ratio(p_c, q_c)} | {p_g_text} | {_fmt(q_g, 2)} | {_ratio(p_g, q_g)} |")
    return "\n".join(lines)


def rows_agreement(measured: list[Measurement]) -> str | None:
    """Whether both plans put the same number of rows in each table (a check that they did the same work)."""
    by = {(m.plan, m.stage): m.rows for m in measured if m.ok}
    pairs = []
    for stage in AGREEING_STAGES:
        tables = STAGE_OUTPUTS[stage]
        if ("pipeline", stage) in by and ("plain", stage) in by:
            for asset in tables:
                pairs.append((asset, by[("pipeline", stage)].get(asset), by[("plain", stage)].get(asset.removeprefix("comtrade_"))))
    if not pairs:
        return None
    differing = [f"{a}: pipeline {p:,} vs plain {q:,}" for a, p, q in pairs if p != q]
    if differing:
        return "row counts DIFFER: " + "; ".join(differing)
    return "row counts agree: " + ", ".join(f"{a} {p:,}" for a, p, _ in pairs)


def trade_flows_rows(measured: list[Measurement]) -> str | None:
    """Both plans' trade_flows row counts (the plain plan restates the method, so they should be close —
    equal when both start from the same tables — but it is a yardstick, not a second implementation)."""
    by = {m.plan: m for m in measured if m.stage == "trade_flows" and m.ok}
    if not by:
        return None
    counts = {plan: m.rows.get("trade_flows") for plan, m in by.items()}
    text = "trade_flows rows: " + ", ".join(f"{plan} {n:,}" for plan, n in counts.items() if n is not None)
    if "plain" in by:
        text += f" (plain plan from {by['plain'].inputs})"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Pipeline stages vs a plain DuckDB plan on one generated year.")
    parser.add_argument("--rows", "-n", type=lambda s: int(float(s)), default=1_000_000)
    parser.add_argument("--year", type=int, default=2019)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--stages", default=",".join(DEFAULT_STAGES),
                        help=f"comma-separated, in order; choices: {','.join(n for n, _, _ in PIPELINE_STAGES)}")
    parser.add_argument("--skip-pipeline", action="store_true")
    parser.add_argument("--skip-plain", action="store_true")
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB memory_limit of both plans (the pipeline's RVC_DUCKDB_MEMORY_LIMIT)")
    parser.add_argument("--max-rss-gib", type=float, default=16.0,
                        help="kill a stage whose process tree goes above this (the machine is shared)")
    parser.add_argument("--reference", type=Path, default=default_reference(),
                        help="code lists for the generator (default $RVC_REFERENCE)")
    parser.add_argument("--keep", action="store_true", help="keep the /tmp/bench-* work folder")
    args = parser.parse_args(argv)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = [s for s in stages if s not in {n for n, _, _ in PIPELINE_STAGES}]
    if unknown:
        parser.error(f"unknown stage(s) {unknown}; choices: {[n for n, _, _ in PIPELINE_STAGES]}")

    facts = machine_facts()
    year_file = DATA_DIR / cache_name(args.rows, args.year, args.seed, args.reference)
    if year_file.exists():
        generated = {"path": str(year_file), "cached": True, "bytes": year_file.stat().st_size}
    else:
        print(f"generating {args.rows:,} rows for {args.year} → {year_file}", flush=True)
        generated = generate_year(year_file, args.rows, args.year, args.seed, args.reference)
        if generated["warning"]:
            print(f"warning: {generated['warning']}", flush=True)
    work = Path(tempfile.mkdtemp(prefix=f"bench-{args.rows}-", dir="/tmp"))
    measured: list[Measurement] = []
    try:
        if not args.skip_pipeline:
            measured += run_pipeline(stages, year_file, args.year, work, args.max_rss_gib, args.memory_limit)
        if not args.skip_plain:
            measured += run_plain(stages, year_file, args.year, work, args.max_rss_gib, args.memory_limit)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    table = report_table(stages, measured)
    agreement = rows_agreement(measured)
    flows_rows = trade_flows_rows(measured)
    print()
    print(f"N = {args.rows:,} rows, year {args.year}, seed {args.seed}; {facts['cores']} cores, {facts['ram_gib']} GiB RAM, "
          f"Python {facts['python']}, DuckDB {facts['duckdb']}, Dagster {facts['dagster']}, pandas {facts['pandas']}, "
          f"{facts['date']}, load average at start {facts['load_average_at_start'][0]:.2f}")
    print(table)
    if agreement:
        print(agreement)
    if flows_rows:
        print(flows_rows)
    for m in measured:
        if not m.ok:
            print(f"\n{m.plan} {m.stage} {_status(m)}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    result_path = RESULTS_DIR / f"{dt.date.today().isoformat()}-{args.rows}.json"
    result = {"machine": facts, "rows": args.rows, "year": args.year, "seed": args.seed, "stages": stages,
              "generated": generated, "table_markdown": table, "rows_agreement": agreement,
              "trade_flows_rows": flows_rows,
              "measurements": [{**m.__dict__, "peak_rss_gib": round(m.peak_rss_bytes / GIB, 3)} for m in measured]}
    result_path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"\nresults: {result_path.relative_to(REPO_ROOT)}")
    return 1 if any(m.plan == "pipeline" and not m.ok for m in measured) else 0


if __name__ == "__main__":
    sys.exit(main())
