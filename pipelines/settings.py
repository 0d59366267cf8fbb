"""Where the pipeline reads and writes and how it runs, resolved from environment variables.

This is the one module that reads the environment for the pipeline's settings: partitions, schedules,
resources and the `rvc` command's Dagster instance take their values from `Settings` (the Dagster
EnvVar of COMTRADE_API_KEY aside, which Dagster reads at run time so the key never enters run config).
Everything is optional: the defaults make `make demo` run offline on the bundled sample. This module
holds paths and switches only; no data logic. API mode's selection (reporters, commodities, TiVA
countries, ...) comes from the environment or a TOML file named by RVC_API_CONFIG (see ApiSettings);
turning those codes into the codes each API takes is assets/sources/api_selection.py's job.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from assets.duckdb_session import DEFAULT_MEMORY_LIMIT
from assets.project_paths import REPO_ROOT
from assets.transforms.reference.scope import DEFAULT_SCOPE_PATH
from assets.vocabulary import CIF_FOB_METHODS, DEFAULT_CIF_FOB_METHOD
from pipelines.object_storage import is_remote_location

SAMPLE_EXTRACTS = REPO_ROOT / "sample" / "extracts"
SAMPLE_REFERENCE = REPO_ROOT / "sample" / "reference"
# The Dagster instance of the `rvc` command when DAGSTER_HOME is not set: where `make ui` / `dg dev` look.
PROJECT_DAGSTER_HOME = REPO_ROOT / ".dagster"

DEFAULT_START_YEAR = 1995
# DuckDB's memory limit for one heavy step (assets/duckdb_session.py: a 15 M-row year stays under 4 GiB of
# resident memory; DuckDB spills the rest to disk).
DEFAULT_DUCKDB_MEMORY_LIMIT = DEFAULT_MEMORY_LIMIT
# The local working folder when the warehouse is an object-store URL: heavy stages stage their outputs and
# DuckDB spills here, and the extracts cache and manifest (a cache of this host's extract files) live here.
DEFAULT_STAGING_DIR = "warehouse-staging"
# Comtrade revises recent years for months: the monthly schedule re-runs this many latest years.
DEFAULT_REFRESH_YEARS = 3
# The API key is read by Dagster at run time (dg.EnvVar) and never stored; Settings only knows whether it is set.
COMTRADE_API_KEY_ENV = "COMTRADE_API_KEY"


# Folders below the extracts and warehouse folders, named once for Settings and the RvcConfig resource.
def comtrade_extracts_dir(extracts_dir: Path) -> Path:
    return extracts_dir / "comtrade"


def tiva_extracts_dir(extracts_dir: Path) -> Path:
    return extracts_dir / "tiva"


def spill_dir(warehouse_dir: Path) -> Path:
    """Where DuckDB spills a heavy step's intermediate results beyond its memory limit."""
    return warehouse_dir / ".spill"


def extracts_cache_dir(warehouse_dir: Path) -> Path:
    """Parsed extracts keyed by content hash, so a yearly run does not re-parse every file."""
    return warehouse_dir / ".cache" / "extracts"


def manifest_path(warehouse_dir: Path) -> Path:
    """The extract manifest (`assets.sources.manifest.manifest_file` of the cache folder): which file holds which years."""
    return warehouse_dir / ".cache" / "manifest.json"


API_CONFIG_ENV = "RVC_API_CONFIG"
SOURCES = ("files", "api")
COMMODITY_DETAILS = ("hs6", "as_given")  # as in assets.sources.api_selection
# Japan, the ten ASEAN members and the comparison economies of the first use case.
DEFAULT_COMTRADE_REPORTERS = "JPN,BRN,KHM,IDN,LAO,MYS,MMR,PHL,SGP,THA,VNM,CHN,KOR,USA,DEU"
# Empty: the HS prefixes of the scope file's product groups (RVC_SCOPE; asked as the HS6 lines within each
# heading), plus TOTAL for the RCA denominators (assets/sources/api_selection.py, scope_commodities).
DEFAULT_COMTRADE_COMMODITIES = ""
# Gross exports and their domestic and foreign value added, Japan and ASEAN-10, towards every counterpart, for
# the scope file's TiVA activities (empty: its tiva_activities codes, e.g. C29 and _T for automotive).
DEFAULT_TIVA_COUNTRIES = "JPN,BRN,KHM,IDN,LAO,MYS,MMR,PHL,SGP,THA,VNM"
DEFAULT_TIVA_MEASURES = "EXGR,EXGR_DVA,EXGR_FVA"
DEFAULT_TIVA_INDUSTRIES = ""


@dataclass(frozen=True)
class ApiSetting:
    """One API-mode setting: its field, environment variable, and key in the RVC_API_CONFIG file."""

    field: str
    env: str
    section: str
    key: str


API_SETTINGS: tuple[ApiSetting, ...] = (
    ApiSetting("comtrade_source", "RVC_COMTRADE_SOURCE", "comtrade", "source"),
    ApiSetting("comtrade_api_base_url", "RVC_COMTRADE_API_URL", "comtrade", "base_url"),
    ApiSetting("comtrade_api_reporters", "RVC_COMTRADE_REPORTERS", "comtrade", "reporters"),
    ApiSetting("comtrade_api_partners", "RVC_COMTRADE_PARTNERS", "comtrade", "partners"),
    ApiSetting("comtrade_api_commodities", "RVC_COMTRADE_COMMODITIES", "comtrade", "commodities"),
    ApiSetting("comtrade_api_commodity_detail", "RVC_COMTRADE_COMMODITY_DETAIL", "comtrade", "commodity_detail"),
    ApiSetting("comtrade_api_flows", "RVC_COMTRADE_FLOWS", "comtrade", "flows"),
    ApiSetting("tiva_source", "RVC_TIVA_SOURCE", "tiva", "source"),
    ApiSetting("tiva_api_base_url", "RVC_OECD_API_URL", "tiva", "base_url"),
    ApiSetting("tiva_api_countries", "RVC_TIVA_COUNTRIES", "tiva", "countries"),
    ApiSetting("tiva_api_measures", "RVC_TIVA_MEASURES", "tiva", "measures"),
    ApiSetting("tiva_api_industries", "RVC_TIVA_INDUSTRIES", "tiva", "industries"),
    ApiSetting("tiva_api_counterparts", "RVC_TIVA_COUNTERPARTS", "tiva", "counterparts"),
)
_CHOICES = {"comtrade_source": SOURCES, "tiva_source": SOURCES, "comtrade_api_commodity_detail": COMMODITY_DETAILS}


@dataclass(frozen=True)
class ApiSettings:
    """What API mode downloads. Codes are comma-separated text, checked when a run resolves them.

    `origins` maps a field to where its value came from ("RVC_COMTRADE_REPORTERS", or
    "`reporters` in [comtrade] of <file>"), so an error about a code names the setting to fix.
    """

    comtrade_source: str = "files"
    comtrade_api_base_url: str = "https://comtradeapi.un.org"
    comtrade_api_reporters: str = DEFAULT_COMTRADE_REPORTERS
    comtrade_api_partners: str = "all"
    comtrade_api_commodities: str = DEFAULT_COMTRADE_COMMODITIES
    comtrade_api_commodity_detail: str = "hs6"
    comtrade_api_flows: str = "M,X"
    tiva_source: str = "files"
    tiva_api_base_url: str = "https://sdmx.oecd.org/public/rest"
    tiva_api_countries: str = DEFAULT_TIVA_COUNTRIES
    tiva_api_measures: str = DEFAULT_TIVA_MEASURES
    tiva_api_industries: str = DEFAULT_TIVA_INDUSTRIES
    tiva_api_counterparts: str = "all"
    origins: dict[str, str] = field(default_factory=dict)

    def resource_fields(self) -> dict[str, object]:
        """The RvcConfig fields these settings fill (pipelines.resources.RvcConfig)."""
        values: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "origins"}
        values["api_setting_origins"] = dict(self.origins)
        return values


def _config_text(value: object, setting: ApiSetting, path: Path) -> str:
    """A TOML value as setting text: a string, or a list of strings/integers joined by commas."""
    items = value if isinstance(value, list) else [value]
    where = f"{path}: `{setting.key}` in [{setting.section}]"
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise ValueError(f"{where} must be text or a list of codes, got {item!r}")
        if isinstance(item, int) and setting.key == "commodities":
            raise ValueError(
                f"{where}: commodity {item!r} is a number; write commodity codes as strings (\"8703\", \"040120\") "
                "so a leading zero is never lost"
            )
    return ",".join(str(item) for item in items)


def _read_api_config(path: Path) -> dict[str, tuple[str, str]]:
    """{field: (text, origin)} from the RVC_API_CONFIG TOML file; unknown sections or keys are refused."""
    if not path.is_file():
        raise ValueError(f"{API_CONFIG_ENV} names {path}, which is not a file. Point it at a TOML file (see README, API mode) or unset it.")
    try:
        content = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path} ({API_CONFIG_ENV}) is not valid TOML: {exc}") from None
    by_key = {(s.section, s.key): s for s in API_SETTINGS}
    found: dict[str, tuple[str, str]] = {}
    for section, table in content.items():
        if not isinstance(table, dict) or section not in {s.section for s in API_SETTINGS}:
            raise ValueError(f"{path}: unexpected top-level entry {section!r}; expected the tables [comtrade] and [tiva]")
        for key, value in table.items():
            setting = by_key.get((section, key))
            if setting is None:
                known = ", ".join(s.key for s in API_SETTINGS if s.section == section)
                # A key in a file would end up in backups and commits: credentials come from the environment only.
                secret = " (the API key is read from the environment only: COMTRADE_API_KEY)" if "key" in key.lower() else ""
                raise ValueError(f"{path}: unknown key {key!r} in [{section}]{secret}; known keys: {known}")
            found[setting.field] = (_config_text(value, setting, path), f"`{key}` in [{section}] of {path}")
    return found


def load_api_settings(env: dict[str, str] | os._Environ) -> ApiSettings:
    """API settings: defaults, overridden by the RVC_API_CONFIG file, overridden by the environment.

    Raises ValueError naming the file or variable for a missing or invalid file, an unknown key, or a
    source/detail switch outside its choices.
    """
    config = env.get(API_CONFIG_ENV)
    chosen = _read_api_config(Path(config).expanduser()) if config else {}
    for setting in API_SETTINGS:
        if (env.get(setting.env) or "").strip():
            chosen[setting.field] = (env[setting.env].strip(), setting.env)
    values = {name: text.strip() for name, (text, _origin) in chosen.items()}
    for name, choices in _CHOICES.items():
        if name in values:
            values[name] = values[name].lower()
            if values[name] not in choices:
                raise ValueError(f"{chosen[name][1]} must be one of {', '.join(choices)}, got {chosen[name][0]!r}")
    return ApiSettings(**values, origins={name: origin for name, (_text, origin) in chosen.items()})


@dataclass(frozen=True)
class Settings:
    extracts_dir: Path
    warehouse_dir: Path
    reference_dir: Path
    start_year: int
    uses_sample: bool
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    api: ApiSettings = field(default_factory=ApiSettings)
    # The study's scope file (product groups, focus countries, regions): README "Scope".
    scope_path: Path = DEFAULT_SCOPE_PATH
    # RVC_WAREHOUSE when it is an object-store URL (s3://bucket/prefix): where the IO manager stores every
    # asset. warehouse_dir is then the local working folder (RVC_STAGING). None for a local warehouse.
    warehouse_url: str | None = None
    # RVC_END_YEAR: the last partition year; None = the latest plausible year in the extracts.
    end_year: int | None = None
    refresh_years: int = DEFAULT_REFRESH_YEARS  # RVC_REFRESH_YEARS (pipelines/schedules.py)
    cif_fob_method: str = DEFAULT_CIF_FOB_METHOD  # RVC_CIF_FOB_METHOD (assets/transforms/harmonization/reconciliation.py)
    comtrade_api_key_set: bool = False  # COMTRADE_API_KEY holds more than blanks
    dagster_home: Path = PROJECT_DAGSTER_HOME  # DAGSTER_HOME: the `rvc` command's Dagster instance

    @property
    def warehouse_location(self) -> str:
        """Where assets are stored: the object-store URL, else the warehouse folder."""
        return self.warehouse_url or str(self.warehouse_dir)

    @property
    def comtrade_dir(self) -> Path:
        return comtrade_extracts_dir(self.extracts_dir)

    @property
    def tiva_dir(self) -> Path:
        return tiva_extracts_dir(self.extracts_dir)

    @property
    def cache_dir(self) -> Path:
        return extracts_cache_dir(self.warehouse_dir)

    @property
    def manifest_path(self) -> Path:
        return manifest_path(self.warehouse_dir)


def _year(env, name: str, default: int | None) -> int | None:
    text = (env.get(name) or "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise ValueError(f"{name} must be a year such as 1995, got {text!r}")
    return int(text)


def _count(env, name: str, default: int) -> int:
    text = (env.get(name) or "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise ValueError(f"{name} must be a whole number of years such as {default} (0 turns it off), got {text!r}")
    return int(text)


def _choice(env, name: str, choices: tuple[str, ...], default: str) -> str:
    text = (env.get(name) or "").strip() or default
    if text not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {text!r}")
    return text


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read RVC_EXTRACTS, RVC_WAREHOUSE, RVC_STAGING, RVC_REFERENCE, RVC_START_YEAR, RVC_END_YEAR,
    RVC_DUCKDB_MEMORY_LIMIT, RVC_SCOPE, RVC_REFRESH_YEARS, RVC_CIF_FOB_METHOD, DAGSTER_HOME, whether
    COMTRADE_API_KEY is set, and the API settings (`load_api_settings`); all optional. RVC_WAREHOUSE is a
    folder or an object-store URL (s3://bucket/prefix); RVC_STAGING is the local working folder used with a
    URL. A bad value raises ValueError with one line naming the variable."""
    env = os.environ if environ is None else environ
    extracts = Path(env["RVC_EXTRACTS"]).expanduser() if env.get("RVC_EXTRACTS") else SAMPLE_EXTRACTS
    location = env.get("RVC_WAREHOUSE") or "warehouse"
    warehouse_url = location.rstrip("/") if is_remote_location(location) else None
    warehouse = Path((env.get("RVC_STAGING") or DEFAULT_STAGING_DIR) if warehouse_url else location).expanduser()
    reference = Path(env["RVC_REFERENCE"]).expanduser() if env.get("RVC_REFERENCE") else SAMPLE_REFERENCE
    return Settings(
        extracts_dir=extracts.resolve(),
        warehouse_dir=warehouse.resolve(),
        reference_dir=reference.resolve(),
        start_year=_year(env, "RVC_START_YEAR", DEFAULT_START_YEAR),
        uses_sample=not env.get("RVC_EXTRACTS"),
        duckdb_memory_limit=env.get("RVC_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT,
        api=load_api_settings(env),
        scope_path=Path(env["RVC_SCOPE"]).expanduser().resolve() if env.get("RVC_SCOPE") else DEFAULT_SCOPE_PATH,
        warehouse_url=warehouse_url,
        end_year=_year(env, "RVC_END_YEAR", None),
        refresh_years=_count(env, "RVC_REFRESH_YEARS", DEFAULT_REFRESH_YEARS),
        cif_fob_method=_choice(env, "RVC_CIF_FOB_METHOD", CIF_FOB_METHODS, DEFAULT_CIF_FOB_METHOD),
        # A key of only whitespace (an empty line in a .env file) is no key; the client strips the rest.
        comtrade_api_key_set=bool((env.get(COMTRADE_API_KEY_ENV) or "").strip()),
        dagster_home=Path(env["DAGSTER_HOME"]).expanduser().resolve() if env.get("DAGSTER_HOME") else PROJECT_DAGSTER_HOME,
    )
