"""A built terminology folder: where its files are and how to open them."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import orjson
import polars as pl

from ontology.errors import SourceError

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
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        table.write_parquet(tmp)
        os.replace(tmp, path)
    return table


def add_table(folder: str | Path, file: str, table: pl.DataFrame, key: str,
              entry: Callable[[dict, str], dict]) -> dict:
    """Write `table` beside the tables as `file` and record it in the manifest under `key`
    (`entry(previous entry, sha256 of the file)` gives what is recorded), each write atomic:
    what a terminology learns after its build, kept with it. Returns the recorded entry."""
    folder = check_built(folder)
    path = folder / file
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    table.write_parquet(tmp)
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    os.replace(tmp, path)
    man = manifest(folder)
    man[key] = {"file": file, **entry(man.get(key, {}), digest), "sha256": digest}
    mpath = folder / MANIFEST
    tmp = mpath.with_name(f".{mpath.name}.tmp-{os.getpid()}")
    tmp.write_bytes(orjson.dumps(man, option=orjson.OPT_INDENT_2))
    os.replace(tmp, mpath)
    return man[key]
