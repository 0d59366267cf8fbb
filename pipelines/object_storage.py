"""The warehouse in object storage (`RVC_WAREHOUSE=s3://bucket/prefix`): paths, uploads and local copies.

What belongs here: turning the warehouse location into a path object (a `pathlib.Path` for a folder, a
`UPath` from universal-pathlib for a URL), and the three operations the IO manager needs on a remote path:
upload a finished local file, read one, and keep a local copy of one. What does not: where each asset is
stored (`pipelines.io_managers`) or any data rule.

Why files are staged locally and uploaded whole: an object store has no rename. A PUT (or a multipart
upload, which S3 makes visible only at CompleteMultipartUpload) replaces the object at once, so a reader
sees the old object or the new one and never a partial one; a failed or killed upload leaves the previous
object as it was. So every output is written and validated as a local file first (the heavy stages stage
in the local working folder, `RVC_STAGING`), then uploaded in one piece to its final key. A killed
multipart upload leaves invisible parts behind that the store bills for: give the bucket a lifecycle rule
that aborts incomplete multipart uploads (docs/deploy.md).

Credentials and the endpoint come from the standard AWS variables (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL for an S3-compatible server), read by s3fs; never from this repo.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from upath import UPath

# A URL with a scheme other than file:// (s3://, gs://, memory://, …) is object storage; anything else is a folder.
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")


def is_remote_location(location: str) -> bool:
    """True for an object-store URL such as `s3://bucket/prefix`; False for a local folder (or file://)."""
    match = _URL.match(location)
    return bool(match) and match.group("scheme").lower() != "file"


def warehouse_root(location: str | Path) -> Path | UPath:
    """The warehouse as a path: `pathlib.Path` for a folder (the fast path, unchanged), `UPath` for a URL."""
    if isinstance(location, str) and is_remote_location(location):
        return UPath(location.rstrip("/"))
    return Path(location)


def is_remote(path: Path | UPath) -> bool:
    """True when `path` lives in object storage (not a local `pathlib.Path`)."""
    return not isinstance(path, Path)


def upload_file(local: Path, remote: UPath) -> None:
    """Upload the finished local file `local` to `remote` as one object (atomic for S3, see the module doc).

    The object only exists once the upload completed; on failure the previous object is untouched."""
    remote.fs.put_file(str(local), remote.path)


def publish_folder(local: Path, remote: UPath, last: tuple[str, ...] = ("index.html",)) -> list[UPath]:
    """Upload every file under `local` to the same relative key under `remote`; returns the objects written.

    Each file is one whole-object upload (never visible half-written). The folder as a whole is not one
    object, so the files named in `last` (the page that links to the others) go up after everything they
    link to: a reader never follows a link to an object that is not there yet. Objects under `remote` that
    the new folder no longer has are removed afterwards (a chart dropped from the report)."""
    files = sorted(p for p in local.rglob("*") if p.is_file())
    files.sort(key=lambda p: p.relative_to(local).as_posix() in last)
    written = []
    for path in files:
        target = remote.joinpath(*path.relative_to(local).parts)
        upload_file(path, target)
        written.append(target)
    keep = {target.path for target in written}
    if remote.exists():
        for stale in remote.fs.find(remote.path):
            if stale not in keep:
                remote.fs.rm_file(stale)
    return written


def local_copy(remote: UPath, cache_dir: Path) -> Path:
    """A local copy of `remote` under `cache_dir`, downloaded only when the object changed since the last copy.

    For readers that need a local file name (pathlib-only code). The copy is named by the object's key and
    ETag, so a replaced object gets a new copy and a stale one is never read; older copies of the same key are
    removed. Downloaded to a temporary name and renamed, so a killed download leaves no torn copy."""
    info = remote.fs.info(remote.path)  # one HEAD request: size, ETag
    version = str(info.get("ETag") or info.get("etag") or info.get("mtime") or info.get("size")).strip('"')
    key_digest = hashlib.sha256(str(remote).encode()).hexdigest()[:16]
    tag = hashlib.sha256(version.encode()).hexdigest()[:16]
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / f"{remote.stem}.{key_digest}.{tag}{remote.suffix}"
    if not target.is_file():
        temporary = target.with_name(f".{target.name}.download")
        try:
            remote.fs.get_file(remote.path, str(temporary))
            temporary.replace(target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        for older in cache_dir.glob(f"{remote.stem}.{key_digest}.*{remote.suffix}"):
            if older != target:
                older.unlink(missing_ok=True)
    return target
