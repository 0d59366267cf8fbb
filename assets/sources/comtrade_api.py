"""Our client for the UN Comtrade+ API: final annual HS goods data as reported, and data availability.

What belongs here: the Comtrade endpoints and their query parameters, planning queries under the
record caps, detecting and splitting truncated answers, checking the `{elapsedTime, count, data,
error}` envelope, and the release dates that drive incremental refresh. Every response is saved
unchanged (with a `.query.json` sidecar) before it is parsed; turning the saved records into
`comtrade_raw` rows is the extract readers' job, not this module's. Transport (retries, backoff,
secret redaction, atomic writes) lives in http_fetch.py.

Why ours and not comtradeapicall: that package hard-codes its base URL (tests cannot point it at a
local server) and prints-and-returns None on errors, which a pipeline would read as "no data".

Modes: without a key the keyless preview endpoint (at most 500 records per call); with a key the
data endpoint (at most 100,000 records per call), the key sent only in the
`Ocp-Apim-Subscription-Key` header.

Layout on disk (under `extracts_dir`):
- `comtrade/api/<query name>.json` + `.query.json`: one complete, untruncated answer per file.
- `comtrade/api/<query name>.json.truncated` + sidecar: an answer that hit the cap, kept for the
  record but superseded by the answers to its split queries (readers must skip it: its records are
  also in those files). Once a query is marked truncated it is always answered by its split parts,
  so the folder never holds the same records twice for one plan.
- `comtrade/api/<query name>.json.unverified`: an answer that failed the envelope check (malformed
  JSON, an `error`, no `data`), kept for inspection only; the next run asks again.
- `comtrade_availability/getDA_....json` + sidecar: the availability listing (not trade records),
  outside `comtrade/` so the extract readers never take it for trade data.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import requests

from assets.errors import RvcInputError, RvcSourceError
from assets.sources.http_fetch import (
    Clock,
    FetchedFile,
    RetryPolicy,
    Sleep,
    fetch_to_file,
    file_in_folder,
    read_sidecar,
    safe_file_name,
    sidecar_path_for,
    utc_now,
)

LOGGER = logging.getLogger("rvc.http.comtrade")

DEFAULT_BASE_URL = "https://comtradeapi.un.org"
API_KEY_HEADER = "Ocp-Apim-Subscription-Key"
PREVIEW_DATA_PATH = "/public/v1/preview/C/A/HS"  # C = goods, A = annual, HS as reported
KEYED_DATA_PATH = "/data/v1/get/C/A/HS"
PREVIEW_AVAILABILITY_PATH = "/public/v1/getDA/C/A/HS"
KEYED_AVAILABILITY_PATH = "/data/v1/getDA/C/A/HS"
PREVIEW_RECORD_CAP = 500
KEYED_RECORD_CAP = 100_000

API_SUBDIR = Path("comtrade") / "api"
AVAILABILITY_SUBDIR = Path("comtrade_availability")
TRUNCATED_SUFFIX = ".truncated"

# Fixed parameters: final data as reported, totals only, one record per reporter-partner-cmd-flow.
FIXED_PARAMS: dict[str, str] = {
    # Second partner (consignment country) World: the total over second partners, not one record each.
    "partner2Code": "0",
    # C00 = all customs procedure codes together, not the breakdown by procedure.
    "customsCode": "C00",
    # 0 = all modes of transport together, not the breakdown by mode.
    "motCode": "0",
    # Keep the source's labels (reporterDesc, cmdDesc, ...) so raw rows carry them as reported.
    "includeDesc": "true",
}

# Rows per partner that one commodity code yields, for planning. A plain code (e.g. "8703") yields
# one row; the aggregate selectors yield every code of that level (HS 2022 counts, rounded up).
COMMODITY_ROW_ESTIMATES: dict[str, int] = {"TOTAL": 1, "AG2": 97, "AG4": 1_230, "AG6": 5_620, "ALL": 7_000}
# Partners when the query leaves partnerCode open: about the number of partner areas reported.
ALL_PARTNERS_ESTIMATE = 250

AVAILABILITY_DTYPES: dict[str, str] = {
    "reporter_code": "str", "year": "int64", "classification": "str", "release_date": "str", "total_records": "Int64",
}

_SPLIT_ORDER = ("years", "reporters", "partners", "commodities", "flows")


def country_code_text(code: object) -> str:
    """A Comtrade numeric area code as project text: M49 three digits ("040", "096", "392"); World "0".

    Raises RvcInputError for a code that is not a non-negative integer (e.g. an ISO3 code).
    """
    text = str(code).strip()
    if not text.isdigit():
        raise RvcInputError(
            f"Comtrade area code {code!r} is not numeric; the API takes M49 numeric codes "
            "(e.g. 392 for Japan, 764 for Thailand, 0 for World)"
        )
    number = int(text)
    return "0" if number == 0 else f"{number:03d}"


def _api_code(code: str) -> str:
    return str(int(code))


def _label(values: Sequence[object] | None, *, none: str = "all") -> str:
    if values is None:
        return none
    texts = [str(v) for v in values]
    return "-".join(texts) if len(texts) <= 3 else f"{texts[0]}-{texts[-1]}-n{len(texts)}"


def _short_hash(payload: object) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:10]


@dataclass(frozen=True)
class ComtradeQuery:
    """One call's selection: reporters × years × partners × commodities × flows.

    Codes are strings (`reporters`/`partners` as M49 text, e.g. "392"; commodity codes keep their
    leading zeros, e.g. "040120"); `partners=None` asks for every partner.
    """

    reporters: tuple[str, ...]
    years: tuple[int, ...]
    partners: tuple[str, ...] | None
    commodities: tuple[str, ...]
    flows: tuple[str, ...]

    def estimated_rows(self) -> int:
        """Upper estimate of the records this query returns (product of the selection sizes)."""
        partners = ALL_PARTNERS_ESTIMATE if self.partners is None else len(self.partners)
        commodities = sum(COMMODITY_ROW_ESTIMATES.get(c.upper(), 1) for c in self.commodities)
        return len(self.reporters) * len(self.years) * partners * commodities * len(self.flows)

    def params(self, max_records: int) -> dict[str, str]:
        """The query string of this selection for the data endpoints (codes as the API wants them)."""
        params = {
            "reporterCode": ",".join(_api_code(r) for r in self.reporters),
            "period": ",".join(str(y) for y in self.years),
            "cmdCode": ",".join(self.commodities),
            "flowCode": ",".join(self.flows),
            **FIXED_PARAMS,
            # Ask for the cap explicitly, so "count reached maxRecords" is a reliable truncation sign.
            "maxRecords": str(max_records),
        }
        if self.partners is not None:
            params["partnerCode"] = ",".join(_api_code(p) for p in self.partners)
        return params

    def file_name(self) -> str:
        """A deterministic file name: readable selection labels plus a hash of the whole selection.

        The record cap is not part of it, so the same selection asked in preview or keyed mode
        shares one file (whether that answer was truncated is judged by the cap in its sidecar).
        """
        digest = _short_hash(
            {
                "reporters": self.reporters, "years": self.years, "partners": self.partners,
                "commodities": self.commodities, "flows": self.flows, "fixed": FIXED_PARAMS,
            }
        )
        # Commodity and flow codes are free text from the caller: "8703/../x" must not become a path.
        return safe_file_name(
            f"C_A_HS_r{_label(self.reporters)}_y{_label(self.years)}_p{_label(self.partners)}"
            f"_c{_label(self.commodities)}_f{_label(self.flows)}_{digest}.json"
        )

    def describe(self) -> str:
        """The selection in words, for messages."""
        return (
            f"reporters {_label(self.reporters)}, years {_label(self.years)}, partners "
            f"{_label(self.partners)}, commodities {_label(self.commodities)}, flows {_label(self.flows)}"
        )

    def split(self) -> list[ComtradeQuery]:
        """Two halves along the first dimension with more than one value (years, reporters, partners,
        commodities, flows); an empty list when every dimension has a single value (or partners are open)."""
        for dim in _SPLIT_ORDER:
            values = getattr(self, dim)
            if values is not None and len(values) > 1:
                half = math.ceil(len(values) / 2)
                return [replace(self, **{dim: values[:half]}), replace(self, **{dim: values[half:]})]
        return []


def _unique_sorted(values: Iterable, key=None) -> list:
    return sorted(set(values), key=key)


def normalise_query(
    reporters: Iterable[object],
    years: Iterable[int],
    partners: Iterable[object] | None,
    commodities: Iterable[str],
    flows: Iterable[str],
) -> ComtradeQuery:
    """The selection as a ComtradeQuery: codes as text, de-duplicated and sorted (stable file names).

    Raises RvcInputError for an empty selection, a non-numeric area code or a commodity code that is
    not a string (an int would have lost its leading zero: 40120 instead of "040120").
    """
    reporter_codes = _unique_sorted((country_code_text(r) for r in reporters), key=int)
    partner_codes = None if partners is None else _unique_sorted(
        (country_code_text(p) for p in partners), key=int
    )
    for code in commodities:
        if not isinstance(code, str):
            raise RvcInputError(
                f"commodity code {code!r} must be a string such as '870323' or 'TOTAL': as a number "
                "it loses its leading zero"
            )
    query = ComtradeQuery(
        reporters=tuple(reporter_codes),
        years=tuple(_unique_sorted(int(y) for y in years)),
        partners=None if partner_codes is None else tuple(partner_codes),
        commodities=tuple(_unique_sorted(c.strip().upper() for c in commodities)),
        flows=tuple(_unique_sorted(f.strip().upper() for f in flows)),
    )
    empty = [dim for dim in _SPLIT_ORDER if getattr(query, dim) is not None and not getattr(query, dim)]
    if empty:
        raise RvcInputError(f"Comtrade query has no {', '.join(empty)}: give at least one value each")
    return query


def _pack(query: ComtradeQuery, dim: str, cap: int) -> list[ComtradeQuery]:
    """Consecutive chunks of `dim`, each as large as fits under `cap` (at least one value each)."""
    chunks: list[list] = [[]]
    for value in getattr(query, dim):
        trial = chunks[-1] + [value]
        if chunks[-1] and replace(query, **{dim: tuple(trial)}).estimated_rows() >= cap:
            chunks.append([value])
        else:
            chunks[-1] = trial
    return [replace(query, **{dim: tuple(chunk)}) for chunk in chunks]


def _plan(query: ComtradeQuery, cap: int) -> list[ComtradeQuery]:
    if query.estimated_rows() < cap:
        return [query]
    for dim in _SPLIT_ORDER:
        values = getattr(query, dim)
        if values is not None and len(values) > 1:
            return [part for chunk in _pack(query, dim, cap) for part in _plan(chunk, cap)]
    LOGGER.warning(
        "Comtrade query %s may return %d records, at or above the cap of %d, and cannot be split "
        "further; its answer will be checked for truncation", query.describe(), query.estimated_rows(), cap,
    )
    return [query]


def plan_queries(
    reporters: Iterable[object],
    years: Iterable[int],
    partners: Iterable[object] | None,
    commodities: Iterable[str],
    flows: Iterable[str],
    cap: int,
) -> list[ComtradeQuery]:
    """Queries covering reporters × years × partners × commodities × flows, each estimated under `cap`.

    The estimate is the product of the selection sizes (an open partner list counts
    ALL_PARTNERS_ESTIMATE partners; AG2/AG4/AG6/ALL count every code of their level). A query at or
    over the cap is split by year, then reporter, then partner, then commodity, then flow, into
    consecutive chunks as large as fit. The queries are disjoint, together cover the selection
    exactly, and come in a deterministic order. "Under" is strict: an answer of exactly `cap`
    records looks truncated.
    """
    if cap < 2:
        raise ValueError(f"cap must be at least 2 records, got {cap}")
    return _plan(normalise_query(reporters, years, partners, commodities, flows), cap)


@dataclass(frozen=True)
class QueryProgress:
    """One planned query done: the `index`-th of `total`, its records, seconds spent, and how it was answered.

    `downloaded` counts the answers fetched now, `reused` those already saved by an earlier run, and
    `parts` the files the query ended as (more than one when a truncated answer was split).
    """

    index: int
    total: int
    query: ComtradeQuery
    rows: int
    elapsed_s: float
    downloaded: int
    reused: int
    parts: int

    def line(self, area_labels: Mapping[str, str] | None = None) -> str:
        """The progress line for logs: n of N, reporters/years/flows, rows, elapsed, how answered."""
        labels = area_labels or {}

        def areas(codes: Sequence[str] | None) -> str:
            if codes is None:
                return "all"
            shown = [f"{labels[c]} ({c})" if c in labels else c for c in codes[:5]]
            return ", ".join(shown) + (f" and {len(codes) - 5} more" if len(codes) > 5 else "")

        how = "saved earlier, not asked again" if not self.downloaded else f"downloaded {self.downloaded} answer(s)"
        if self.parts > 1:
            how += f", split into {self.parts} parts after a truncated answer"
        commodities = self.query.commodities
        return (
            f"Comtrade query {self.index} of {self.total}: reporter {areas(self.query.reporters)}, year "
            f"{_label(self.query.years)}, flow {','.join(self.query.flows)}, partners {areas(self.query.partners)}, "
            f"{len(commodities)} commodit{'y' if len(commodities) == 1 else 'ies'} ({_label(commodities)}) — "
            f"{self.rows:,} rows in {self.elapsed_s:.1f} s ({how})"
        )


Progress = Callable[[QueryProgress], None]


def _log_progress(progress: QueryProgress) -> None:
    LOGGER.info(progress.line())


def _truncated_path(dest: Path) -> Path:
    return dest.with_name(dest.name + TRUNCATED_SUFFIX)


def read_envelope(path: Path, what: str) -> dict:
    """A saved Comtrade answer as its `{elapsedTime, count, data, error}` envelope; RvcSourceError otherwise.

    Malformed JSON, a non-empty `error`, or a missing/non-list `data` is an error naming `what` (the
    query) and the saved file, never an empty result.
    """
    keep = (
        f"The response is kept at {path}. What to do: re-run to ask again; if it persists, open the "
        "file to see what the API sent."
    )
    try:
        envelope = json.loads(path.read_bytes())
    except (UnicodeDecodeError, ValueError) as exc:
        raise RvcSourceError(f"Comtrade answered {what} with malformed JSON ({exc}). {keep}") from None
    if not isinstance(envelope, dict):
        raise RvcSourceError(
            f"Comtrade answered {what} with JSON that is not the {{elapsedTime, count, data, error}} "
            f"envelope (a {type(envelope).__name__}). {keep}"
        )
    error = envelope.get("error")
    if error is not None and str(error).strip():
        raise RvcSourceError(f"Comtrade answered {what} with an error: {str(error)[:300]!r}. {keep}")
    if not isinstance(envelope.get("data"), list):
        raise RvcSourceError(
            f"Comtrade answered {what} without a `data` list (keys: {sorted(envelope)}); an answer "
            f"without data is not read as 'no trade'. {keep}"
        )
    return envelope


def _record_count(path: Path, what: str) -> int:
    """How many records the answer holds: the larger of its `count` and its `data` length."""
    envelope = read_envelope(path, what)
    count = envelope.get("count")
    return max(len(envelope["data"]), count if isinstance(count, int) else 0)


def _parse_release(text: str) -> datetime:
    """An ISO-8601 date or date-time as a naive UTC datetime (dates count as midnight)."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


@dataclass(frozen=True)
class _Answer:
    """A complete saved answer: its file, its record count, and whether an earlier run had saved it."""

    path: Path
    records: int
    reused: bool


class ComtradeClient:
    """Downloads Comtrade+ final annual HS data (as reported) and its availability, saving every answer.

    `api_key` None (or empty) = keyless preview mode, 500 records per call; with a key = keyed mode,
    100,000 records per call, the key sent only in the Ocp-Apim-Subscription-Key header and never
    shown (not in repr, messages, logs or sidecars). `sleep` and `clock` are injectable for tests.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | None = None,
        *,
        extracts_dir: Path,
        session: requests.Session | None = None,
        max_tries: int = 5,
        sleep: Sleep = time.sleep,
        clock: Clock = utc_now,
        timeout_s: tuple[float, float] = (10.0, 300.0),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Stripped where it is read: a key pasted or exported with its line break is the same key.
        self._api_key = (api_key or "").strip() or None
        self.extracts_dir = Path(extracts_dir)
        self._session = session or requests.Session()
        self._policy = RetryPolicy(max_tries=max_tries, timeout_s=timeout_s)
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        return (
            f"ComtradeClient(base_url={self.base_url!r}, mode={self.mode!r}, "
            f"extracts_dir={str(self.extracts_dir)!r})"
        )

    __str__ = __repr__

    @property
    def mode(self) -> str:
        """'keyed' with an API key, 'preview' without."""
        return "keyed" if self._api_key else "preview"

    @property
    def cap(self) -> int:
        """Records one call may return in this mode."""
        return KEYED_RECORD_CAP if self._api_key else PREVIEW_RECORD_CAP

    @property
    def api_dir(self) -> Path:
        return self.extracts_dir / API_SUBDIR

    @property
    def availability_dir(self) -> Path:
        return self.extracts_dir / AVAILABILITY_SUBDIR

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers[API_KEY_HEADER] = self._api_key
        return headers

    def _url(self, keyed_path: str, preview_path: str) -> str:
        return self.base_url + (keyed_path if self._api_key else preview_path)

    def _fetch(
        self, url: str, params: Mapping[str, str], dest: Path, what: str, refresh: bool
    ) -> tuple[FetchedFile, int]:
        """Fetch to `dest` (or reuse it) with the envelope checked before it is kept; return it and its record count."""
        counts: dict[str, int] = {}

        def validate(path: Path) -> None:
            counts["records"] = _record_count(path, what)

        fetched = fetch_to_file(
            url, params, self._headers(), dest, session=self._session, policy=self._policy,
            sleep=self._sleep, clock=self._clock, refresh=refresh, validate=validate,
        )
        records = counts["records"] if "records" in counts else _record_count(dest, what)
        return fetched, records

    def download(
        self, queries: Iterable[ComtradeQuery], *, refresh: bool = False, progress: Progress | None = _log_progress
    ) -> list[Path]:
        """Ask each query (splitting truncated answers), save every answer; return the complete files.

        Files already on disk with their sidecar are not asked again unless `refresh=True`. The
        returned paths are the untruncated answers, in query order then split order. After each
        query `progress` receives a QueryProgress (default: its line logged at INFO on rvc.http.comtrade).
        """
        planned = list(queries)
        paths: list[Path] = []
        for index, query in enumerate(planned, start=1):
            started = time.monotonic()
            answers = self._download_query(query, refresh)
            paths.extend(answer.path for answer in answers)
            if progress is not None:
                progress(QueryProgress(
                    index=index, total=len(planned), query=query, rows=sum(a.records for a in answers),
                    elapsed_s=time.monotonic() - started, downloaded=sum(not a.reused for a in answers),
                    reused=sum(a.reused for a in answers), parts=len(answers),
                ))
        return paths

    def _download_query(self, query: ComtradeQuery, refresh: bool) -> list[_Answer]:
        dest = file_in_folder(self.api_dir, query.file_name())
        truncated = _truncated_path(dest)
        if truncated.is_file() and read_sidecar(truncated) is not None:
            LOGGER.debug("%s was truncated before; using its split queries", truncated.name)
            return self._split_and_download(query, truncated, refresh)

        what = f"the query ({query.describe()}) [{self.mode} mode]"
        fetched, records = self._fetch(
            self._url(KEYED_DATA_PATH, PREVIEW_DATA_PATH), query.params(self.cap), dest, what, refresh
        )
        cap_used = int(fetched.params.get("maxRecords", self.cap))
        if records < cap_used:
            return [_Answer(dest, records, fetched.from_cache)]

        # The answer reached the cap: probably cut off. Keep it aside, never among the complete answers.
        dest.replace(truncated)
        sidecar_path_for(dest).replace(sidecar_path_for(truncated))
        LOGGER.warning(
            "Comtrade answered %s with %d records, the cap of %d: treated as truncated, kept as %s, "
            "asking its split queries", query.describe(), records, cap_used, truncated.name,
        )
        return self._split_and_download(query, truncated, refresh)

    def _split_and_download(self, query: ComtradeQuery, truncated: Path, refresh: bool) -> list[_Answer]:
        parts = query.split()
        if not parts:
            advice = "list the partners or narrower commodity codes explicitly."
            if not self._api_key:
                advice = "use keyed mode (set COMTRADE_API_KEY; 100,000 records per call), or " + advice
            raise RvcSourceError(
                f"Comtrade answered the query ({query.describe()}) with as many records as the "
                f"{self.mode} mode allows per call, so the answer is probably truncated, and the query "
                f"cannot be split further (one reporter, year, commodity and flow; partners "
                f"{'open' if query.partners is None else 'one'}). The answer is kept at {truncated}. "
                f"What to do: {advice}"
            )
        return [answer for part in parts for answer in self._download_query(part, refresh)]

    def fetch_annual(
        self,
        reporters: Iterable[object],
        years: Iterable[int],
        partners: Iterable[object] | None = None,
        commodities: Iterable[str] = ("TOTAL",),
        flows: Iterable[str] = ("M", "X"),
        *,
        refresh: bool = False,
        progress: Progress | None = _log_progress,
    ) -> list[Path]:
        """Plan queries under this mode's cap for the selection, download them; return the saved files.

        `commodities` go to `cmdCode` exactly as given (HS6 lines, TOTAL, ...): expanding headings into
        their HS6 lines is the caller's choice (assets.sources.api_selection.commodity_codes).
        """
        queries = plan_queries(reporters, years, partners, commodities, flows, self.cap)
        return self.download(queries, refresh=refresh, progress=progress)

    def data_availability(
        self,
        reporters: Iterable[object] | None = None,
        years: Iterable[int] | None = None,
        *,
        refresh: bool = True,
    ) -> pd.DataFrame:
        """What Comtrade holds for final annual HS data, and when each reporter-year was last released.

        Asks getDA (keyless `/public/v1/getDA/C/A/HS` or keyed `/data/v1/getDA/C/A/HS`) for the
        reporters and years (None = all), saves the answer unchanged under `comtrade_availability/`,
        and returns one row per listed dataset with columns
        reporter_code (str, M49 text), year (int64), classification (str, e.g. "H5"),
        release_date (str, ISO "YYYY-MM-DDTHH:MM:SS", the record's lastReleased; missing if absent),
        total_records (Int64), sorted by reporter_code, year, classification.
        By default asks again every call (`refresh=True`): availability is what changes.
        """
        reporter_codes = (
            None if reporters is None else _unique_sorted((country_code_text(r) for r in reporters), key=int)
        )
        year_list = None if years is None else _unique_sorted(int(y) for y in years)
        params: dict[str, str] = {}
        if reporter_codes is not None:
            params["reporterCode"] = ",".join(_api_code(r) for r in reporter_codes)
        if year_list is not None:
            params["period"] = ",".join(str(y) for y in year_list)
        name = f"getDA_C_A_HS_r{_label(reporter_codes)}_y{_label(year_list)}_{_short_hash(params)}.json"
        dest = file_in_folder(self.availability_dir, name)
        what = (
            f"the availability query (reporters {_label(reporter_codes)}, years {_label(year_list)}) "
            f"[{self.mode} mode]"
        )
        url = self._url(KEYED_AVAILABILITY_PATH, PREVIEW_AVAILABILITY_PATH)
        self._fetch(url, params, dest, what, refresh)
        return availability_frame(read_envelope(dest, what)["data"], dest)


def availability_frame(records: Sequence[Mapping[str, object]], source: Path | str) -> pd.DataFrame:
    """getDA records as the availability frame (columns as in ComtradeClient.data_availability).

    Raises RvcSourceError naming `source` and the record index when a record lacks reporterCode or
    period, has a period that is not a year, or a lastReleased that is not an ISO date.
    """
    rows = []
    for index, record in enumerate(records):
        try:
            reporter = country_code_text(record["reporterCode"])
            period = str(record["period"]).strip()
            if not (len(period) == 4 and period.isdigit()):
                raise ValueError(f"period {period!r} is not a year")
            released = record.get("lastReleased")
            release_date = (
                None if released in (None, "") else _parse_release(str(released)).isoformat(timespec="seconds")
            )
        except (KeyError, ValueError, RvcInputError) as exc:
            raise RvcSourceError(
                f"{source}: availability record {index} is not usable ({type(exc).__name__}: {exc}); "
                "expected reporterCode (numeric), period (YYYY) and lastReleased (ISO date). What to "
                "do: open the file; if the API changed its layout, this client needs updating."
            ) from None
        total = record.get("totalRecords")
        classification = record.get("classificationCode")
        rows.append(
            {
                "reporter_code": reporter,
                "year": int(period),
                "classification": None if classification is None else str(classification),
                "release_date": release_date,
                "total_records": None if total is None else int(total),
            }
        )
    frame = pd.DataFrame(rows, columns=list(AVAILABILITY_DTYPES)).astype(AVAILABILITY_DTYPES)
    frame = frame.sort_values(["reporter_code", "year", "classification"], kind="stable")
    return frame.reset_index(drop=True)


def released_since(
    availability: pd.DataFrame, last_seen: Mapping[tuple[str, int], str]
) -> list[tuple[str, int]]:
    """Reporter-years that are new or re-released since the release dates recorded in `last_seen`.

    `availability` has the columns of ComtradeClient.data_availability; `last_seen` maps
    (reporter_code, year) to the release_date (ISO) seen when that reporter-year was last downloaded.
    A reporter-year is returned when it is not in `last_seen`, or when its latest release_date is
    later than the recorded one. Sorted by reporter_code, year. Pure: for the refresh sensor.
    """
    seen = {
        (country_code_text(r), int(y)): (_parse_release(d) if d else None) for (r, y), d in last_seen.items()
    }
    latest: dict[tuple[str, int], datetime | None] = {}
    for reporter, year, release in zip(
        availability["reporter_code"], availability["year"], availability["release_date"], strict=True
    ):
        key = (country_code_text(reporter), int(year))
        moment = None if pd.isna(release) else _parse_release(str(release))
        known = [m for m in (latest.get(key), moment) if m is not None]
        latest[key] = max(known) if known else None
    # A recorded reporter-year without a date counts as stale once the source dates it.
    changed = [
        key
        for key, moment in latest.items()
        if key not in seen or (moment is not None and (seen[key] is None or moment > seen[key]))
    ]
    return sorted(changed, key=lambda key: (key[0], key[1]))
