"""CSV and TSV with a header row, streamed by pyarrow; `line` is the data row (1-based) among
the well-formed rows. A malformed row (wrong number of cells) is a reject with its raw text but
no line: quoted values may hold newlines, and pyarrow cannot count file lines then."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.csv as pcsv

from corpus.readers.records import Batcher, Fields, Reject


def read(path: Path, fields: Fields, batch_size: int) -> Iterator[tuple[pa.Table, list[Reject]]]:
    batcher = Batcher(path.name, fields, batch_size)
    bad: list[Reject] = []

    def on_invalid(row) -> str:
        bad.append(Reject(path.name, row.number, f"bad row: {row.text!r} "
                          f"has {row.actual_columns} cells, expected {row.expected_columns}",
                          row.text or ""))
        return "skip"

    delimiter = "\t" if path.name.lower().removesuffix(".gz").endswith(".tsv") else ","
    reader = pcsv.open_csv(
        path, read_options=pcsv.ReadOptions(block_size=1 << 22),
        parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                        invalid_row_handler=on_invalid),
        convert_options=pcsv.ConvertOptions(column_types={fields.text: pa.large_string()}))
    row = 0
    for batch in reader:
        batcher.rejects.extend(bad)
        bad.clear()
        for record in batch.to_pylist():
            row += 1
            yield from batcher.add(row, record, orjson.dumps(record, default=str).decode())
    batcher.rejects.extend(bad)
    yield batcher.flush()
