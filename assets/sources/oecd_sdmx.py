"""Our client for the OECD SDMX REST API: TiVA data downloaded as SDMX-CSV and saved unchanged.

What belongs here: the SDMX data URL (`{base}/data/{dataflow}/{key}`), the CSV format request, the
file naming under `<extracts_dir>/tiva/api/`, and the check that an answer really is SDMX-CSV (an
HTML error page or SDMX-ML sent with status 200 must not pass for data). What does not: reading
TiVA observations (the TiVA readers do that from the saved files) and transport rules (retries,
backoff, atomic writes: http_fetch.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import time
from collections.abc import Sequence
from pathlib import Path

import requests

from assets.errors import RvcSourceError
from assets.sources.http_fetch import (
    Clock,
    FetchedFile,
    RetryPolicy,
    RvcSourceNotFound,
    Sleep,
    fetch_to_file,
    file_in_folder,
    safe_file_name,
    utc_now,
)

LOGGER = logging.getLogger("rvc.http.oecd")

DEFAULT_BASE_URL = "https://sdmx.oecd.org/public/rest"
TIVA_MAINLV_DATAFLOW = "OECD.STI.PIE,DSD_TIVA_MAINLV@DF_MAINLV,1.1"

# Key dimensions of DSD_TIVA_MAINLV, in order: MEASURE.REF_AREA.ACTIVITY.COUNTERPART_AREA.UNIT_MEASURE.FREQ
# (the order of the columns of the TiVA 2025 extracts). Default: gross exports and their domestic
# and foreign value added, for Japan and the ASEAN-10, in motor vehicles (C29) and all activities
# (_T), towards every counterpart; unit and frequency open.
ASEAN10_AND_JAPAN = ("JPN", "BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM")


def tiva_key(
    measures: Sequence[str], ref_areas: Sequence[str], activities: Sequence[str], counterparts: Sequence[str] | None = None
) -> str:
    """The SDMX key of DSD_TIVA_MAINLV: MEASURE.REF_AREA.ACTIVITY.COUNTERPART_AREA.UNIT_MEASURE.FREQ.

    Several codes of a dimension are joined by "+"; `counterparts` None (or empty) leaves that
    dimension open (every counterpart), as are unit and frequency. Codes must already be checked
    (assets.sources.api_selection): a "." or "+" inside one would change the key's dimensions.
    """
    dims = [measures, ref_areas, activities, counterparts or ()]
    for codes in dims:
        bad = [c for c in codes if not re.fullmatch(r"[A-Za-z0-9_]+", c)]
        if bad:
            raise ValueError(f"SDMX codes may hold letters, digits and '_' only, got {bad}")
    return ".".join("+".join(codes) for codes in dims) + ".."


DEFAULT_TIVA_KEY = tiva_key(("EXGR", "EXGR_DVA", "EXGR_FVA"), ASEAN10_AND_JAPAN, ("C29", "_T"))
# How the OECD's .Stat Suite (and the SDMX REST specification, error 100) says "no observation
# matches the key": an HTTP 404 whose body says so. A wrong path is a 404 too, with another body.
_NO_RECORDS = re.compile(r"no\s*(records|results)\s*(found|matching)", re.IGNORECASE)

CSV_FORMAT_PARAM = "csvfilewithlabels"
CSV_ACCEPT = "application/vnd.sdmx.data+csv; charset=utf-8; labels=both"
API_SUBDIR = Path("tiva") / "api"

# SDMX-CSV 1.0 names the dataflow in DATAFLOW, 2.0 in STRUCTURE_ID; both have these two.
_REQUIRED_COLUMNS = ("TIME_PERIOD", "OBS_VALUE")
_DATAFLOW_COLUMNS = ("DATAFLOW", "STRUCTURE_ID")
_HEADER_BYTES = 64 * 1024
_DELIMITERS = (",", ";", "\t", "|")


def sdmx_csv_columns(path: Path) -> list[str]:
    """The column ids of a saved SDMX-CSV file's header ("OBS_VALUE: Observation value" -> "OBS_VALUE").

    Raises RvcSourceError naming the file when it is empty, looks like HTML or XML, or its header
    lacks DATAFLOW/STRUCTURE_ID, TIME_PERIOD or OBS_VALUE.
    """
    with path.open("rb") as handle:
        head = handle.read(_HEADER_BYTES).decode("utf-8-sig", errors="replace")
    what_to_do = (
        f"The response is kept at {path}. What to do: open it to read the server's message; check the "
        "dataflow and key (dimension order MEASURE.REF_AREA.ACTIVITY.COUNTERPART_AREA.UNIT_MEASURE.FREQ "
        "for TiVA), then re-run."
    )
    start = head.lstrip()
    if not start:
        raise RvcSourceError(f"OECD SDMX answered with an empty body, not SDMX-CSV. {what_to_do}")
    if start.startswith("<"):
        kind = "HTML" if re.match(r"<(!doctype html|html)", start, re.IGNORECASE) else "XML"
        excerpt = " ".join(start[:200].split())
        raise RvcSourceError(
            f"OECD SDMX answered with {kind}, not SDMX-CSV (begins {excerpt!r}). {what_to_do}"
        )
    first_line = head.splitlines()[0]
    # SDMX-CSV 2.0 allows ";" (or another) as separator; the header splits into most cells on the real one.
    delimiter = max(_DELIMITERS, key=lambda d: len(next(csv.reader([first_line], delimiter=d))))
    header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter))
    # "OBS_VALUE: Observation value" (labels=both) and "STRUCTURE[|]" (2.0 multi-value) name OBS_VALUE, STRUCTURE.
    columns = [re.sub(r"\[.*\]$", "", cell.split(":", 1)[0].strip()) for cell in header]
    missing = [c for c in _REQUIRED_COLUMNS if c not in columns]
    if not any(c in columns for c in _DATAFLOW_COLUMNS):
        missing.insert(0, " or ".join(_DATAFLOW_COLUMNS))
    if missing:
        raise RvcSourceError(
            f"OECD SDMX answered with a file whose header is not SDMX-CSV: missing {', '.join(missing)} "
            f"(header starts {header[:8]}). {what_to_do}"
        )
    return columns


def count_sdmx_rows(path: Path) -> int:
    """Observation rows of a saved SDMX-CSV answer (records after the header; quoted line breaks count once)."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        return max(0, sum(1 for record in csv.reader(handle) if record) - 1)


def _file_name(dataflow: str, key: str, start_year: int | None, end_year: int | None) -> str:
    """`<flow id>_<measures>_<years>_<hash>.csv`, e.g. DF_MAINLV_EXGR-EXGR_DVA_1995-2022_1a2b3c4d5e.csv."""
    parts = dataflow.split(",")
    flow_id = parts[1] if len(parts) > 1 else parts[0]
    flow_id = flow_id.split("@")[-1]
    measures = key.split(".")[0] or "all"
    codes = measures.split("+")
    measures = "-".join(codes) if len(codes) <= 3 else f"{codes[0]}-n{len(codes)}"
    years = f"{start_year or 'first'}-{end_year or 'last'}"
    digest = hashlib.sha1(f"{dataflow}|{key}|{start_year}|{end_year}".encode()).hexdigest()[:10]
    return safe_file_name(f"{flow_id}_{measures}_{years}_{digest}.csv")


class OecdSdmxClient:
    """Downloads OECD data through the SDMX REST API as SDMX-CSV with labels, saving every answer.

    `sleep` and `clock` are injectable for tests; retries and failures follow http_fetch.RetryPolicy.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        extracts_dir: Path,
        session: requests.Session | None = None,
        max_tries: int = 5,
        sleep: Sleep = time.sleep,
        clock: Clock = utc_now,
        timeout_s: tuple[float, float] = (10.0, 300.0),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.extracts_dir = Path(extracts_dir)
        self._session = session or requests.Session()
        self._policy = RetryPolicy(max_tries=max_tries, timeout_s=timeout_s)
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        return f"OecdSdmxClient(base_url={self.base_url!r}, extracts_dir={str(self.extracts_dir)!r})"

    @property
    def api_dir(self) -> Path:
        return self.extracts_dir / API_SUBDIR

    def fetch_tiva(
        self,
        dataflow: str = TIVA_MAINLV_DATAFLOW,
        key: str = DEFAULT_TIVA_KEY,
        start_year: int | None = None,
        end_year: int | None = None,
        *,
        refresh: bool = False,
        no_records_ok: bool = False,
    ) -> Path | None:
        """The saved file of `fetch_tiva_file` (None when it found no records), see there."""
        fetched = self.fetch_tiva_file(
            dataflow, key, start_year, end_year, refresh=refresh, no_records_ok=no_records_ok
        )
        return None if fetched is None else fetched.path

    def fetch_tiva_file(
        self,
        dataflow: str = TIVA_MAINLV_DATAFLOW,
        key: str = DEFAULT_TIVA_KEY,
        start_year: int | None = None,
        end_year: int | None = None,
        *,
        refresh: bool = False,
        no_records_ok: bool = False,
    ) -> FetchedFile | None:
        """Download `{base}/data/{dataflow}/{key}` as SDMX-CSV to `<extracts_dir>/tiva/api/<name>.csv`.

        The body is saved unchanged with its `.query.json` sidecar; only its header is checked (SDMX
        columns present). A file already on disk with its sidecar is not asked again unless
        `refresh=True`. Returns the saved file. Raises RvcSourceError when the source fails or the
        answer is not SDMX-CSV. With `no_records_ok`, an HTTP 404 saying that no record matches (e.g.
        a year the edition does not cover) returns None instead (nothing saved; the next run asks again).
        """
        if start_year is not None and end_year is not None and start_year > end_year:
            raise ValueError(f"start_year {start_year} is after end_year {end_year}")
        url = f"{self.base_url}/data/{dataflow}/{key}"
        params: dict[str, str] = {"format": CSV_FORMAT_PARAM}
        if start_year is not None:
            params["startPeriod"] = str(start_year)
        if end_year is not None:
            params["endPeriod"] = str(end_year)
        dest = file_in_folder(self.api_dir, _file_name(dataflow, key, start_year, end_year))
        try:
            fetched = fetch_to_file(
                url, params, {"Accept": CSV_ACCEPT}, dest, session=self._session, policy=self._policy,
                sleep=self._sleep, clock=self._clock, refresh=refresh, validate=sdmx_csv_columns,
            )
        except RvcSourceNotFound as not_found:
            if no_records_ok and _NO_RECORDS.search(not_found.excerpt):
                LOGGER.info("OECD SDMX has no record for %s (%s): %s", key, params, not_found.excerpt)
                return None
            raise
        if fetched.from_cache:
            LOGGER.debug("TiVA %s already downloaded at %s", key, dest)
        return fetched
