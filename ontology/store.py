"""A built terminology folder: where its files are and how to open them."""

from __future__ import annotations

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
