"""Derived tables cached beside the data, keyed by what they were computed from.

A cache entry is valid while its inputs are unchanged: the key hashes each
input file's path and content, the package version, and any
extra words the caller adds (settings, a cut-off date). An entry is written
to a temporary file and moved into place, so a crash never leaves half a file.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .._version import __version__


def stamp(files: Iterable[Path], *extra: str) -> str:
    """A 16-hex-digit key for ``files`` (path and content; absent files count) and ``extra``.

    Content, not the modification time: a corrected file of the same size whose time was
    kept (``cp -p``, ``rsync -t``, unzip) is a new key. Each file is hashed whole (SHA-256,
    about 1 GB/s here: the demo's 80 MB in 0.1 s), once per process while its inode, size,
    modification and change times stay the same."""
    parts = [__version__, *extra]
    for f in files:
        f = Path(f)
        if f.is_dir():  # resolved: the same folder named relatively or not is one key
            members = sorted(p for p in f.resolve().rglob("*") if p.is_file())
            parts += [f"{p}:{content_digest(p)}" for p in members]
        elif f.exists():
            parts.append(f"{f.resolve()}:{content_digest(f)}")
        else:
            parts.append(f"{f}:absent")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


_DIGESTS: dict[tuple, str] = {}


def content_digest(path: Path) -> str:
    """Size and SHA-256 of the file's bytes (hex), remembered for this process by the file's
    inode, size, modification and change times (a rewrite changes the change time even when
    the modification time is set back)."""
    st = path.stat()
    memo = (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if (d := _DIGESTS.get(memo)) is None:
        with path.open("rb") as fh:
            d = f"{st.st_size}:{hashlib.file_digest(fh, 'sha256').hexdigest()}"
        _DIGESTS[memo] = d
    return d


def cache_dir(folder: Path) -> Path:
    """``folder/.qaw-cache`` when the data folder is writable, else one in the workspace's
    state folder (``settings.state_dir``: data/ of a clone, else the workspace)."""
    from ..settings import state_dir

    if os.access(folder, os.W_OK):
        return folder / ".qaw-cache"
    return (
        state_dir() / ".qaw-cache" / hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:8]
    )


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def cached_frame(
    folder: Path, name: str, key: str, build: Callable[[], pd.DataFrame]
) -> pd.DataFrame:
    """The table ``name`` for ``key`` from the cache, or ``build()`` and keep it (Parquet).

    Older entries of the same name are removed when a new one is written.
    """
    path = _entry(folder, name, key)
    if _valid(path):
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError):  # damaged (a disk filled up, a copy cut short): rebuild
            pass
    df = build()
    _keep(path, name, df)
    return df


def cached_file(
    folder: Path,
    name: str,
    key: str,
    build: Callable[[], pd.DataFrame],
    write: Callable[[Path], bool] | None = None,
) -> Path:
    """The Parquet file holding table ``name`` for ``key`` in the cache, built by ``build()``
    when missing or damaged. Older entries of the same name are removed when a new one is
    written; where the cache cannot be written the file is kept in a temporary folder.
    ``write(file)``, when given, is tried first: it writes the Parquet file itself (in bounded
    memory), or returns False to leave it to ``build``."""
    path = _entry(folder, name, key)
    if _valid(path):
        return path
    if write is not None and (done := _written(path, name, write)) is not None:
        return done
    df = build()
    if _keep(path, name, df):
        return path
    tmp = Path(tempfile.mkdtemp(prefix="qaw-cache-")) / path.name
    df.to_parquet(tmp, index=False)
    return tmp


def _written(path: Path, name: str, write: Callable[[Path], bool]) -> Path | None:
    """``write`` into a temporary file moved into place as the entry ``path`` (older entries of
    ``name`` removed), or into a temporary folder where the cache cannot be written; None when
    ``write`` declines."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.touch()
    except OSError:
        tmp = Path(tempfile.mkdtemp(prefix="qaw-cache-")) / path.name
        return tmp if write(tmp) else None
    try:
        if not write(tmp):
            return None
        _remove_older(path, name)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _remove_older(path: Path, name: str) -> None:
    for old in path.parent.glob(f"{name}-*.parquet"):
        if re.fullmatch(rf"{re.escape(name)}-[0-9a-f]{{16}}\.parquet", old.name):  # not
            old.unlink(missing_ok=True)  # "scores-by-files-…" when replacing "scores"


def _entry(folder: Path, name: str, key: str) -> Path:
    return cache_dir(folder) / f"{name}-{key}.parquet"


def _valid(path: Path) -> bool:
    """The entry exists and its Parquet footer reads (a file cut short does not)."""
    try:
        pq.ParquetFile(path)
        return True
    except (OSError, ValueError, pa.ArrowException):
        return False


def _keep(path: Path, name: str, df: pd.DataFrame) -> bool:
    """Write ``df`` as the entry ``path``, removing older entries of ``name``; False where the
    cache cannot be written (the table is still right, just not kept)."""
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    try:
        _remove_older(path, name)
        write_atomic(path, buf.getvalue())
    except OSError:
        return False
    return True
