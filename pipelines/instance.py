"""The Dagster instance the `rvc` command records its runs in: DAGSTER_HOME, else the project's `.dagster`.

The project's `.dagster` is where `make ui` / `dg dev` look, so runs started by `rvc demo` or `rvc backfill`
show in the UI whether or not DAGSTER_HOME was exported. A new instance folder gets deploy/dagster.yaml.

Opening a fresh instance creates its SQLite tables; two processes doing that at once race ("table runs
already exists"). The first opening is done under an exclusive lock on `<home>/.rvc-instance.lock`, and
every storage is touched before the lock is released, so the second process finds the tables made.
"""

from __future__ import annotations

import fcntl
import shutil
from pathlib import Path

import dagster as dg

from pipelines.settings import PROJECT_DAGSTER_HOME, REPO_ROOT, load_settings

PROJECT_HOME = PROJECT_DAGSTER_HOME
DEPLOY_CONFIG = REPO_ROOT / "deploy" / "dagster.yaml"
LOCK_NAME = ".rvc-instance.lock"


def instance_home(environ: dict[str, str] | None = None) -> Path:
    """DAGSTER_HOME, else the project's `.dagster` (Settings.dagster_home)."""
    return load_settings(environ).dagster_home


def open_instance(home: Path | None = None) -> dg.DagsterInstance:
    """The instance in `home` (default `instance_home()`), its folder, config and tables created if missing."""
    home = home or instance_home()
    home.mkdir(parents=True, exist_ok=True)
    with (home / LOCK_NAME).open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            config = home / "dagster.yaml"
            if not config.exists() and DEPLOY_CONFIG.is_file():
                shutil.copyfile(DEPLOY_CONFIG, config)
            instance = dg.DagsterInstance.from_config(str(home))
            # Touch each storage so its tables exist before another process may open the instance.
            instance.get_runs(limit=1)
            instance.get_asset_keys()
            instance.all_instigator_state()
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    return instance


if __name__ == "__main__":  # `python -m pipelines.instance`: create the instance's folder and tables (make ui)
    print(f"Dagster instance: {open_instance().root_directory}")
