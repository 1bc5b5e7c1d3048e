"""Files written whole before anyone reads them: synced to disk, published by a rename."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


def fsync_path(path: str | Path) -> None:
    """Sync a file or a folder (its entries: a rename into it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary sibling of `path` to write; on success it is fsynced and renamed over
    `path` (and the folder fsynced), on error removed: readers see the old file or the new one,
    never half of one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        fsync_path(tmp)
        os.replace(tmp, path)
        fsync_path(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | Path, data: bytes) -> None:
    """`data` into `path` through [`atomic_path`]."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
