"""Output files of a corpus run: standardized document shards and rejects, as Parquet.

Every file is written under a temporary name, fsynced and renamed into place
(`ontology.io.atomic_path`), so an interrupted run leaves no partial file visible and a rerun
can trust whatever it finds; `stream` appends batch after batch to such a file. The same rows
in the same batches give the same bytes: zstd, no timestamps, fixed row-group size.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpus import schema
from corpus.readers import Reject
from termnorm_utils.errors import InputError
from termnorm_utils.files import atomic_path

# At most this many rows a row group (a batch's rows never share one with the next batch's).
# Larger groups mean fewer dictionaries to build: MTSamples' 261k mentions write in 0.065
# instead of 0.073 s (64k rows a group) and take 1.9 instead of 2.1 MB.
ROW_GROUP = 256 * 1024
# Room for every distinct value of a row group in its dictionary (Arrow's default is 1 MB): a
# shard's repeated texts (a note filed twice, a template) are then stored and compressed once.
# On MTSamples' docs (half the notes repeat) the write takes 0.045 instead of 0.077 s and the
# file is 3.0 instead of 5.5 MB; texts that never repeat write as fast as before.
DICTIONARY_PAGE = 64 << 20


def _hash_or_signature(t: pa.DataType) -> bool:
    """Binary hashes and lists of MinHash values: they never repeat and prune nothing."""
    return (
        pa.types.is_list(t)
        or pa.types.is_fixed_size_list(t)
        or pa.types.is_binary(t)
        or pa.types.is_fixed_size_binary(t)
    )


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """Columns worth dictionary-encoding: not hashes and signatures (trying costs 4x the write
    time of the signatures file)."""
    return [f.name for f in schema if not _hash_or_signature(f.type)]


# Whole documents, their metadata, a rejected record, a mention's span of a text.
FREE_TEXT = ("text", "meta", "raw", "surface")


def _statistics_columns(schema: pa.Schema | pa.StructType, prefix: str = "") -> list[str]:
    """Leaf columns whose min/max let a reader skip row groups: not free text (FREE_TEXT),
    flags, hashes or signatures, whose statistics prune nothing, cost ~2% of a run's CPU and
    would copy whole notes into the file footer."""
    out = []
    for f in schema:
        if pa.types.is_struct(f.type):
            out += _statistics_columns(f.type, f"{prefix}{f.name}.")
        elif not (f.name in FREE_TEXT or pa.types.is_boolean(f.type) or _hash_or_signature(f.type)):
            out.append(prefix + f.name)
    return out


def write_table(table: pa.Table, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        pq.write_table(
            table,
            tmp,
            compression="zstd",
            row_group_size=ROW_GROUP,
            write_statistics=_statistics_columns(table.schema),
        )
    return path


class TableStream:
    """Tables appended one by one to a Parquet file (the schema is the first table's), so a
    shard never sits in memory whole; see `stream`."""

    def __init__(self, tmp: Path, arrow_schema: bool = True) -> None:
        self._tmp = tmp
        self._arrow_schema = arrow_schema
        self._writer: pq.ParquetWriter | None = None
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            self._writer = pq.ParquetWriter(
                self._tmp,
                table.schema,
                compression="zstd",
                write_statistics=_statistics_columns(table.schema),
                use_dictionary=_dictionary_columns(table.schema),
                dictionary_pagesize_limit=DICTIONARY_PAGE,
                store_schema=self._arrow_schema,
            )
        self._writer.write_table(table.cast(self._writer.schema), row_group_size=ROW_GROUP)
        self.rows += table.num_rows

    @property
    def started(self) -> bool:
        return self._writer is not None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


@contextlib.contextmanager
def stream(path: str | Path, arrow_schema: bool = True) -> Iterator[TableStream]:
    """Append tables to `path`, which appears (atomically) only when the block ends without
    error; at least one table, if only an empty one, must be written. Without `arrow_schema`
    the file keeps only Parquet's types: dictionary arrays then read back as their values."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        s = TableStream(tmp, arrow_schema)
        try:
            yield s
        finally:
            s.close()
        if not s.started:
            raise InputError(f"{path}: nothing was written")


def rejects_table(rejects: Iterable[Reject]) -> pa.Table:
    rows = [(r.source, r.line, r.reason, r.raw) for r in rejects]
    cols = list(zip(*rows, strict=True)) if rows else [[], [], [], []]
    return pa.table(
        [pa.array(c, t) for c, t in zip(cols, schema.REJECTS.types, strict=True)],
        schema=schema.REJECTS,
    )


def write_rejects(rejects: Iterable[Reject], path: str | Path) -> Path:
    return write_table(rejects_table(rejects), path)
