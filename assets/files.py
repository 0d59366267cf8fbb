"""Writing a small file so that no reader ever sees half of it (manifest, fingerprints, API responses).

Parquet outputs have their own path (`assets.duckdb_session`, the IO manager); this is for bytes in memory.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def write_bytes_atomically(dest: Path, data: bytes, temp_suffix: str = ".tmp") -> None:
    """Write `data` to `dest` through a uniquely named temporary file in the same folder, fsync it, and rename
    it into place. The temporary file is created as the umask says (colleagues can read the result), and a
    failed write leaves neither a torn `dest` nor the temporary file."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    temporary = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}{temp_suffix}")
    try:
        with open(temporary, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, dest)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
