"""Where the pipeline reads and writes, resolved from environment variables.

Everything is optional: the defaults make `make demo` run offline on the bundled sample. This module
holds paths and switches only; no data logic.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.object_storage import is_remote_location

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_EXTRACTS = REPO_ROOT / "sample" / "extracts"
SAMPLE_REFERENCE = REPO_ROOT / "sample" / "reference"

DEFAULT_START_YEAR = 1995
# DuckDB's memory limit for one heavy step (raw, cleaning). With the step process and Dagster's own
# processes this keeps a 15 M-row year under 4 GiB of resident memory; DuckDB spills the rest to disk.
DEFAULT_DUCKDB_MEMORY_LIMIT = "2GB"
# The local working folder when the warehouse is an object-store URL: heavy stages stage their outputs and
# DuckDB spills here, and the extracts cache and manifest (a cache of this host's extract files) live here.
DEFAULT_STAGING_DIR = "warehouse-staging"


def extracts_cache_dir(warehouse_dir: Path) -> Path:
    """Parsed extracts keyed by content hash, so a yearly run does not re-parse every file."""
    return warehouse_dir / ".cache" / "extracts"


def manifest_path(warehouse_dir: Path) -> Path:
    """The extract manifest (`assets.sources.manifest.manifest_file` of the cache folder): which file holds which years."""
    return warehouse_dir / ".cache" / "manifest.json"


@dataclass(frozen=True)
class Settings:
    extracts_dir: Path
    warehouse_dir: Path
    reference_dir: Path
    start_year: int
    uses_sample: bool
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    # RVC_WAREHOUSE when it is an object-store URL (s3://bucket/prefix): where the IO manager stores every
    # asset. warehouse_dir is then the local working folder (RVC_STAGING). None for a local warehouse.
    warehouse_url: str | None = None

    @property
    def warehouse_location(self) -> str:
        """Where assets are stored: the object-store URL, else the warehouse folder."""
        return self.warehouse_url or str(self.warehouse_dir)

    @property
    def comtrade_dir(self) -> Path:
        return self.extracts_dir / "comtrade"

    @property
    def tiva_dir(self) -> Path:
        return self.extracts_dir / "tiva"

    @property
    def cache_dir(self) -> Path:
        return extracts_cache_dir(self.warehouse_dir)

    @property
    def manifest_path(self) -> Path:
        return manifest_path(self.warehouse_dir)


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read RVC_EXTRACTS, RVC_WAREHOUSE, RVC_STAGING, RVC_REFERENCE, RVC_START_YEAR and RVC_DUCKDB_MEMORY_LIMIT
    (all optional). RVC_WAREHOUSE is a folder or an object-store URL (s3://bucket/prefix); RVC_STAGING is the
    local working folder used with a URL."""
    env = os.environ if environ is None else environ
    extracts = Path(env["RVC_EXTRACTS"]).expanduser() if env.get("RVC_EXTRACTS") else SAMPLE_EXTRACTS
    location = env.get("RVC_WAREHOUSE") or "warehouse"
    warehouse_url = location.rstrip("/") if is_remote_location(location) else None
    warehouse = Path((env.get("RVC_STAGING") or DEFAULT_STAGING_DIR) if warehouse_url else location).expanduser()
    reference = Path(env["RVC_REFERENCE"]).expanduser() if env.get("RVC_REFERENCE") else SAMPLE_REFERENCE
    start_text = env.get("RVC_START_YEAR") or str(DEFAULT_START_YEAR)
    if not start_text.isdigit():
        raise ValueError(f"RVC_START_YEAR must be a year such as 1995, got {start_text!r}")
    return Settings(
        extracts_dir=extracts.resolve(),
        warehouse_dir=warehouse.resolve(),
        reference_dir=reference.resolve(),
        start_year=int(start_text),
        uses_sample=not env.get("RVC_EXTRACTS"),
        duckdb_memory_limit=env.get("RVC_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT,
        warehouse_url=warehouse_url,
    )
