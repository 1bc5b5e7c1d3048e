"""Parquet, read in row batches; `line` is the row number (1-based)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from corpus.readers.records import Batcher, Fields, Reject


def read(
    path: Path, source: str, fields: Fields, batch_size: int, encoding: None = None
) -> Iterator[tuple[pa.Table, list[Reject]]]:
    batcher = Batcher(source, fields, batch_size)
    row = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
        for record in batch.to_pylist():
            row += 1
            yield from batcher.add(row, record, orjson.dumps(record, default=str).decode())
    yield batcher.flush()
