"""A built terminology folder: where its files are and how to open them."""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import polars as pl

from ontology.errors import SourceError
from ontology.io import atomic_path

TABLE_FILES = ("concepts", "synonyms", "relations")
MANIFEST = "manifest.json"


def table_path(folder: str | Path, table: str) -> Path:
    return Path(folder) / f"{table}.parquet"


def check_built(folder: str | Path) -> Path:
    folder = Path(folder)
    if not (folder / MANIFEST).exists():
        raise SourceError(folder, None, "not a built terminology (no manifest.json); "
                                        "run `termnorm ontology build` first")
    return folder


def scan(folder: str | Path, table: str) -> pl.LazyFrame:
    return pl.scan_parquet(table_path(check_built(folder), table))


def manifest(folder: str | Path) -> dict:
    return orjson.loads((check_built(folder) / MANIFEST).read_bytes())


def fingerprint(folder: Path, *rules: bytes) -> str:
    """A hex digest of the terminology's manifest and `rules`: names what is derived from it."""
    h = hashlib.sha256((folder / MANIFEST).read_bytes())
    for r in rules:
        h.update(r)
    return h.hexdigest()


def derived(folder: str | Path, name: str, version: str,
            build: Callable[[], pl.DataFrame]) -> pl.DataFrame:
    """A table computed from a built terminology (`build()`), kept beside its tables as
    `NAME.<fingerprint>.parquet`, the fingerprint taken over the manifest and `version` (which
    names the code's rules: change it when they change). Read back when present; else built
    and saved, atomically, where the folder is writable, replacing older versions: a process
    start reads the table instead of deriving it again."""
    folder = check_built(folder)
    path = folder / f"{name}.{fingerprint(folder, version.encode())[:16]}.parquet"
    if path.exists():
        try:
            return pl.read_parquet(path)
        except (OSError, pl.exceptions.PolarsError):
            pass  # damaged: derive afresh below
    table = build()
    if os.access(folder, os.W_OK):
        for old in folder.glob(f"{name}.*.parquet"):
            if old != path:
                old.unlink(missing_ok=True)
        with atomic_path(path) as tmp:
            table.write_parquet(tmp)
    return table


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One writer at a time per folder, across processes (a read-modify-write of votes)."""
    with open(folder / ".lock", "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def added(folder: str | Path, key: str) -> pl.DataFrame | None:
    """The table the manifest records under `key` (see `update_table`), None if none."""
    folder = check_built(folder)
    for _ in range(3):
        entry = manifest(folder).get(key)
        if not entry:
            return None
        try:
            return pl.read_parquet(folder / entry["file"])
        except FileNotFoundError:
            continue  # replaced since the manifest was read: read the new one
    raise SourceError(folder, None, f"the table the manifest names for {key!r} keeps changing")


def update_table(folder: str | Path, key: str, change: Callable[[pl.DataFrame | None, dict],
                                                                 tuple[pl.DataFrame, dict]]
                 ) -> dict:
    """Replace the table recorded under `key` in the manifest by `change(current table or None,
    its entry)`, which returns the new table and what to record of it: what a terminology
    learns after its build, kept with it. One writer at a time; the manifest's atomic replace
    is the one commit (the table goes first under a name of its own digest; the one before the
    table it replaces is removed), so a crash or a concurrent reader never sees half. Returns the
    recorded entry."""
    folder = check_built(folder)
    with _locked(folder):
        man = manifest(folder)
        prior = man.get(key, {})
        current = pl.read_parquet(folder / prior["file"]) if prior else None
        table, entry = change(current, prior)
        buf = io.BytesIO()
        table.write_parquet(buf)
        digest = hashlib.sha256(buf.getvalue()).hexdigest()
        name = f"{key}-{digest[:16]}.parquet"
        with atomic_path(folder / name) as tmp:
            tmp.write_bytes(buf.getvalue())
        man[key] = {"file": name, **entry, "sha256": digest}
        with atomic_path(folder / MANIFEST) as tmp:
            tmp.write_bytes(orjson.dumps(man, option=orjson.OPT_INDENT_2))
        # the table before the one replaced goes: a reader that read the manifest just before
        # this commit still finds the one it names
        for old in folder.glob(f"{key}-*.parquet"):
            if old.name not in (name, prior.get("file")):
                old.unlink(missing_ok=True)
    return man[key]
