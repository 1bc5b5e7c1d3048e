"""CSV and TSV with a header row, plain or compressed, in any encoding, streamed by pyarrow
with every column read as a string (an id column that looks numeric for megabytes may still
hold "A1429"); `line` is the data row (1-based) among the well-formed rows. A malformed row
(wrong number of cells) is a reject with its raw text but no line: quoted values may hold
newlines, and pyarrow cannot count file lines then."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.csv as pcsv

from corpus.readers import streams
from corpus.readers.records import Batcher, Fields, Reject


def header(path: Path, delimiter: str, encoding: str) -> list[str]:
    text = streams.head(path).decode(encoding, "replace").lstrip("\ufeff")
    return next(csv.reader(io.StringIO(text), delimiter=delimiter), [])


def read(
    path: Path, source: str, fields: Fields, batch_size: int, encoding: str, delimiter: str = ","
) -> Iterator[tuple[pa.Table, list[Reject]]]:
    batcher = Batcher(source, fields, batch_size)
    bad: list[Reject] = []

    def on_invalid(row) -> str:
        bad.append(
            Reject(
                source,
                None,
                f"bad row: {row.text!r} "
                f"has {row.actual_columns} cells, expected {row.expected_columns}",
                row.text or "",
            )
        )
        return "skip"

    names = header(path, delimiter, encoding)
    stream = pa.input_stream(str(path), compression=streams.compression(path))
    reader = pcsv.open_csv(
        stream,
        read_options=pcsv.ReadOptions(block_size=1 << 22, encoding=encoding),
        parse_options=pcsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
        ),
        convert_options=pcsv.ConvertOptions(
            column_types={n: pa.string() for n in names} | {fields.text: pa.large_string()},
            strings_can_be_null=False,
        ),
    )
    row = 0
    for batch in reader:
        batcher.rejects.extend(bad)
        bad.clear()
        for record in batch.to_pylist():
            row += 1
            yield from batcher.add(row, record, orjson.dumps(record).decode())
    batcher.rejects.extend(bad)
    yield batcher.flush()
