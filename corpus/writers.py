"""Output files of a corpus run: standardized document shards and rejects, as Parquet.

Every file is written under a temporary name, fsynced and renamed into place
(`ontology.io.atomic_path`), so an interrupted run leaves no partial file visible and a rerun
can trust whatever it finds. The same rows give the same bytes: zstd, no timestamps, fixed
row-group size.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpus.readers import Reject
from ontology.io import atomic_path

REJECTS_SCHEMA = pa.schema([("source", pa.string()), ("line", pa.int64()),
                            ("reason", pa.string()), ("raw", pa.large_string())])


def write_table(table: pa.Table, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", row_group_size=64 * 1024,
                       write_statistics=True)
    return path


def rejects_table(rejects: Iterable[Reject]) -> pa.Table:
    rows = [(r.source, r.line, r.reason, r.raw) for r in rejects]
    cols = list(zip(*rows, strict=True)) if rows else [[], [], [], []]
    return pa.table([pa.array(c, t) for c, t in zip(cols, REJECTS_SCHEMA.types, strict=True)],
                    schema=REJECTS_SCHEMA)


def write_rejects(rejects: Iterable[Reject], path: str | Path) -> Path:
    return write_table(rejects_table(rejects), path)
