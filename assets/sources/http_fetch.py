"""HTTP GET with explicit retry/backoff, secret redaction, and save-before-parse to disk.

What belongs here: the transport rules shared by every remote source (Comtrade API, OECD SDMX):
which answers are retried and how long to wait, how a failure is reported, how a response body is
saved unchanged with a `<file>.query.json` sidecar before anyone parses it, and how secrets are kept
out of messages, logs and sidecars. What does not: endpoint paths, query parameters and response
formats of a particular source (see comtrade_api.py, oecd_sdmx.py).

Secrets travel only in request headers. Header values are stripped of surrounding whitespace before
sending (a key pasted with its line break would otherwise make `requests` refuse the header and quote
it). A header whose name looks secret (key, token, authorization, ...) has its value redacted, as
given, stripped, escaped and URL-encoded, from every exception message and log record this module
produces, including the messages of the exceptions `requests` raises on the way (see
`get_with_retries`); the sidecar never holds headers at all. Query parameters must not carry
secrets: they are logged and saved, so a secret-looking parameter name is refused.

File names built from query values go through `file_in_folder`: one sanitiser for every client,
and a refusal when the resolved path would leave the folder.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, quote_plus

import requests

from assets.errors import RvcInputError, RvcSourceError
from assets.files import write_bytes_atomically
from assets.vocabulary import QUERY_SIDECAR_SUFFIX

LOGGER = logging.getLogger("rvc.http")

REDACTED = "***"
UNVERIFIED_SUFFIX = ".unverified"
USER_AGENT = "rvc-pipeline/0.1 (python-requests)"

# Header or parameter names containing one of these words carry credentials.
_SECRET_NAME_WORDS = ("key", "token", "secret", "password", "authorization", "cookie", "signature")
# 5xx are the server's trouble and usually pass; 408/425/429 ask the client to come back later.
_RETRY_STATUSES = frozenset({408, 425, 429})
_EXCERPT_CHARS = 300
# Characters a file name built from query values may keep; anything else (a "/" above all) becomes "_".
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.\-]")
# No answer at all: refused or dropped connection, DNS failure, connect/read timeout, body cut off.
_TRANSIENT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)

class RvcSourceNotFound(RvcSourceError):
    """The source answered HTTP 404: no such resource (an SDMX data query: no observation matches).

    `excerpt` holds the start of the answer (secrets redacted), so a caller can tell "no data for
    this selection" from a wrong path.
    """

    def __init__(self, message: str, excerpt: str) -> None:
        super().__init__(message)
        self.excerpt = excerpt


Sleep = Callable[[float], None]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC (the default clock; tests inject their own)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to ask again.

    The wait before try n+1 is `backoff_base_s * 2**(n-1)`, capped at `backoff_cap_s`, unless the
    server sent `Retry-After`, which is honoured as given up to `max_retry_after_s` (a longer wait,
    e.g. a daily quota, fails at once instead of blocking a run for hours). `timeout_s` is the
    (connect, read) timeout of each try in seconds.
    """

    max_tries: int = 5
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 60.0
    max_retry_after_s: float = 600.0
    timeout_s: tuple[float, float] = (10.0, 300.0)

    def __post_init__(self) -> None:
        if self.max_tries < 1:
            raise ValueError(f"max_tries must be at least 1, got {self.max_tries}")

    def backoff_s(self, failed_tries: int) -> float:
        """Seconds to wait after `failed_tries` failures (1, 2, ...) when the server gave no Retry-After."""
        return min(self.backoff_cap_s, self.backoff_base_s * 2 ** (failed_tries - 1))


@dataclass(frozen=True)
class FetchedFile:
    """A response body saved unchanged at `path`, described by the sidecar at `sidecar_path`.

    `url` and `params` are what was asked (no headers, no secrets), `retrieved_at` the UTC time of
    the download ("2024-05-01T12:00:00Z"), `status` the HTTP status, `from_cache` True when the file
    was already on disk and nothing was downloaded.
    """

    path: Path
    sidecar_path: Path
    url: str
    params: dict[str, str]
    retrieved_at: str
    status: int
    from_cache: bool = False


@dataclass
class _Attempt:
    """What the last try produced, for the final error message."""

    status: int | None = None
    detail: str = ""
    retry_after_s: float | None = None


def is_secret_name(name: str) -> bool:
    """True when a header or parameter name looks like it carries a credential."""
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_NAME_WORDS)


def secret_values(headers: Mapping[str, str] | None) -> list[str]:
    """The values of the secret-looking headers, longest first (so a key is redacted before its prefix)."""
    values = {str(v) for k, v in (headers or {}).items() if is_secret_name(k) and str(v).strip()}
    return sorted(values, key=len, reverse=True)


def _secret_forms(secret: str) -> set[str]:
    """The ways a secret shows up in text: as is and stripped, each also escaped (as repr() and error
    messages quote it: a line break as the two characters \\n) and URL-encoded."""
    forms: set[str] = set()
    for text in {secret, secret.strip()}:
        if text:
            forms |= {text, text.encode("unicode_escape").decode("ascii"), repr(text)[1:-1],
                      quote(text, safe=""), quote_plus(text)}
    return forms


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (as is, stripped, escaped, URL-encoded) replaced by ***, longest form first."""
    forms = sorted({form for secret in secrets if secret for form in _secret_forms(secret)}, key=len, reverse=True)
    for form in forms:
        text = text.replace(form, REDACTED)
    return text


def _leaks(error: BaseException, secrets: Iterable[str]) -> bool:
    """True when the text of `error` or of any exception it chains (cause or context) holds a secret."""
    forms = {form for secret in secrets if secret for form in _secret_forms(secret)}
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts = (str(current), repr(current))
        if any(form in text for form in forms for text in texts):
            return True
        current = current.__cause__ or current.__context__
    return False


def safe_file_name(text: str) -> str:
    """`text` as one plain file name: every character but letters, digits, `_`, `.` and `-` becomes `_`,
    and leading dots too (no hidden file, no `.` or `..`)."""
    name = _UNSAFE_NAME_CHARS.sub("_", text)
    return re.sub(r"^\.+", lambda dots: "_" * len(dots.group()), name)


def file_in_folder(folder: Path, name: str) -> Path:
    """`folder / safe_file_name(name)`, refused with RvcInputError if it still resolves outside `folder`
    (e.g. a symlink of that name pointing elsewhere)."""
    path = Path(folder) / safe_file_name(name)
    resolved_folder = Path(folder).resolve()
    if path.resolve().parent != resolved_folder:
        raise RvcInputError(
            f"the file name {name!r}, built from query parameters, leads outside the folder {folder} "
            f"(to {path.resolve()}); saved answers stay inside it. What to do: remove the link at {path} "
            "or change the query."
        )
    return path


def sidecar_path_for(dest: Path) -> Path:
    """Where the query sidecar of a saved response lives: `<dest>.query.json`."""
    return dest.with_name(dest.name + QUERY_SIDECAR_SUFFIX)


def unverified_path_for(dest: Path) -> Path:
    """Where a downloaded body waits for (and, if rejected, stays after) validation: `<dest>.unverified`."""
    return dest.with_name(dest.name + UNVERIFIED_SUFFIX)


def _format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_params(params: Mapping[str, object] | None) -> dict[str, str]:
    """Parameters as strings, sorted by name; refuses secrets, which would end up in logs and sidecars."""
    clean: dict[str, str] = {}
    for name in sorted(params or {}):
        value = (params or {})[name]
        if value is None:
            continue
        if is_secret_name(name):
            raise ValueError(
                f"query parameter {name!r} looks like a credential; secrets travel only in headers "
                "(pass it in `headers`), because parameters are logged and saved in the sidecar"
            )
        clean[name] = str(value)
    return clean


def _describe(url: str, params: Mapping[str, str]) -> str:
    prepared = requests.Request("GET", url, params=params).prepare()
    return str(prepared.url)


def _excerpt(response: requests.Response, secrets: Iterable[str]) -> str:
    text = " ".join(response.text[:_EXCERPT_CHARS * 2].split())[:_EXCERPT_CHARS]
    return redact(text, secrets) or "(empty body)"


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110 10.2.3).

    Returns None when the header is absent or unreadable, 0 for a date already past.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT by definition
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _hint_for(status: int) -> str:
    if status in (401, 403):
        return (
            "check the API key (COMTRADE_API_KEY) and its quota; a keyless call may use a public "
            "endpoint only"
        )
    if status == 404:
        return "check the endpoint path and the query (dataflow, key, codes); the source has no such resource"
    return "check the query parameters against the source's documentation"


def get_with_retries(
    url: str,
    *,
    params: Mapping[str, object] | None = None,
    headers: Mapping[str, str] | None = None,
    session: requests.Session | None = None,
    policy: RetryPolicy | None = None,
    sleep: Sleep = time.sleep,
    clock: Clock = utc_now,
) -> requests.Response:
    """GET `url` with `params` and `headers`, retrying what is worth retrying; return the 2xx response.

    Retried: 429 (waiting `Retry-After` when given), 408, 425, every 5xx, connection errors and
    timeouts, with exponential backoff (see RetryPolicy). Not retried: any other 4xx, which raises
    RvcSourceError at once with an excerpt of the body. After the last try RvcSourceError names the
    URL (secrets redacted), the last status and what to do.
    Any other error (e.g. `requests` refusing a header value) propagates unchanged unless its text or
    the text of an exception it chains holds a secret: then it becomes an RvcSourceError with the
    text redacted and no chained exceptions.
    """
    secrets = secret_values(headers)
    try:
        return _get_with_retries(url, params, headers, session, policy, sleep, clock, secrets)
    except Exception as error:  # noqa: BLE001 - re-raised unchanged unless it carries a secret
        if not _leaks(error, secrets):
            raise
        leaked = redact(f"{type(error).__name__}: {error}", secrets)
    # Raised outside the except block, so the original (which quotes the secret) is not its context.
    raise RvcSourceError(
        f"GET {redact(url, secrets)} failed before any answer: {leaked}. What to do: check the credentials "
        "passed in headers (e.g. COMTRADE_API_KEY) for stray characters such as a line break inside the "
        "key, then re-run."
    )


def _get_with_retries(
    url: str,
    params: Mapping[str, object] | None,
    headers: Mapping[str, str] | None,
    session: requests.Session | None,
    policy: RetryPolicy | None,
    sleep: Sleep,
    clock: Clock,
    secrets: list[str],
) -> requests.Response:
    policy = policy or RetryPolicy()
    session = session or requests.Session()
    clean_params = _check_params(params)
    # Surrounding whitespace is never part of a header value: a key read with its line break is the key.
    request_headers = {"User-Agent": USER_AGENT, **{k: str(v).strip() for k, v in (headers or {}).items()}}
    shown_url = redact(_describe(url, clean_params), secrets)

    last = _Attempt()
    for attempt in range(1, policy.max_tries + 1):
        started = time.monotonic()
        try:
            response = session.get(
                url, params=clean_params, headers=request_headers, timeout=policy.timeout_s
            )
        except _TRANSIENT_ERRORS as exc:
            last = _Attempt(None, redact(f"{type(exc).__name__}: {exc}", secrets))
        else:
            elapsed = time.monotonic() - started
            if 200 <= response.status_code < 300:
                LOGGER.info(
                    "GET %s -> HTTP %d, %d bytes in %.1f s (try %d of %d)",
                    shown_url, response.status_code, len(response.content), elapsed, attempt,
                    policy.max_tries,
                )
                return response
            excerpt = _excerpt(response, secrets)
            status = response.status_code
            if status < 500 and status not in _RETRY_STATUSES:
                message = (
                    f"GET {shown_url} answered HTTP {status} (not retried: the request itself was "
                    f"refused): {excerpt!r}. What to do: {_hint_for(status)}."
                )
                raise RvcSourceNotFound(message, excerpt) if status == 404 else RvcSourceError(message)
            retry_after = parse_retry_after(response.headers.get("Retry-After"), clock())
            last = _Attempt(status, excerpt, retry_after)
            if retry_after is not None and retry_after > policy.max_retry_after_s:
                raise RvcSourceError(
                    f"GET {shown_url} answered HTTP {status} and asks to wait {retry_after:.0f} s "
                    f"(Retry-After), longer than the {policy.max_retry_after_s:.0f} s this run may "
                    f"wait: {excerpt!r}. What to do: re-run after that time (files already "
                    "downloaded are kept and not asked again)."
                )

        if attempt == policy.max_tries:
            break
        wait = last.retry_after_s if last.retry_after_s is not None else policy.backoff_s(attempt)
        LOGGER.warning(
            "GET %s failed (%s); retrying in %.1f s (try %d of %d)",
            shown_url, _attempt_text(last), wait, attempt + 1, policy.max_tries,
        )
        sleep(wait)

    raise RvcSourceError(
        f"GET {shown_url} failed after {policy.max_tries} tries; last answer: {_attempt_text(last)}. "
        "What to do: the source is down, overloaded or unreachable; check the network and the "
        "source's status page, then re-run (files already downloaded are kept and not asked "
        "again), or allow more tries (max_tries)."
    )


def _attempt_text(attempt: _Attempt) -> str:
    if attempt.status is None:
        return f"no HTTP response ({attempt.detail})"
    return f"HTTP {attempt.status}: {attempt.detail!r}"


def _write_atomically(dest: Path, data: bytes) -> None:
    """Write `data` to `dest` through a temp file in the same folder and a rename: never half-written."""
    write_bytes_atomically(dest, data, temp_suffix=".part")


def read_sidecar(dest: Path) -> dict[str, object] | None:
    """The sidecar of `dest` as a dict, or None when it is missing or unreadable."""
    sidecar = sidecar_path_for(dest)
    try:
        content = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) else None


def fetch_to_file(
    url: str,
    params: Mapping[str, object] | None,
    headers: Mapping[str, str] | None,
    dest: Path,
    *,
    session: requests.Session | None = None,
    policy: RetryPolicy | None = None,
    sleep: Sleep = time.sleep,
    clock: Clock = utc_now,
    refresh: bool = False,
    validate: Callable[[Path], None] | None = None,
) -> FetchedFile:
    """Download `url` to `dest` unchanged, then write the sidecar `<dest>.query.json`; return both.

    The sidecar is {"url", "params", "retrieved_at", "status"}: never headers, never a secret. It is
    written last, so a sidecar marks a complete, accepted download. When `dest` and its sidecar
    already exist nothing is downloaded (`from_cache=True`) unless `refresh=True`.
    With `validate`, the body is first saved unchanged as `<dest>.unverified` and `validate` is called
    on that file; only when it returns is the file renamed to `dest`. When it raises, the body stays
    at `<dest>.unverified` for inspection (extract readers skip that suffix), `dest` and its sidecar
    are left as they were, and the error propagates; the next run asks again.
    """
    clean_params = _check_params(params)
    secrets = secret_values(headers)
    sidecar = sidecar_path_for(dest)
    shown_url = redact(url, secrets)

    recorded = None if refresh or not dest.is_file() else read_sidecar(dest)
    if recorded is not None:
        LOGGER.debug("%s already downloaded (%s), not asking again", dest, sidecar.name)
        return FetchedFile(
            path=dest,
            sidecar_path=sidecar,
            url=str(recorded.get("url", shown_url)),
            params={str(k): str(v) for k, v in dict(recorded.get("params") or {}).items()},
            retrieved_at=str(recorded.get("retrieved_at", "")),
            status=int(recorded.get("status", 200)),
            from_cache=True,
        )

    response = get_with_retries(
        url, params=clean_params, headers=headers, session=session, policy=policy, sleep=sleep,
        clock=clock,
    )
    retrieved_at = _format_utc(clock())
    if validate is not None:
        # Checked under a name no extract reader picks up, so a rejected answer never passes for data
        # and a good earlier download (with its sidecar) stays in place.
        staged = unverified_path_for(dest)
        _write_atomically(staged, response.content)
        validate(staged)
        sidecar.unlink(missing_ok=True)
        os.replace(staged, dest)
    else:
        sidecar.unlink(missing_ok=True)
        _write_atomically(dest, response.content)
    record = {
        "url": shown_url,
        "params": {k: redact(v, secrets) for k, v in clean_params.items()},
        "retrieved_at": retrieved_at,
        "status": response.status_code,
    }
    _write_atomically(sidecar, (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    LOGGER.info("saved %s (%d bytes) with %s", dest, len(response.content), sidecar.name)
    return FetchedFile(
        path=dest,
        sidecar_path=sidecar,
        url=shown_url,
        params=dict(record["params"]),
        retrieved_at=retrieved_at,
        status=response.status_code,
        from_cache=False,
    )

