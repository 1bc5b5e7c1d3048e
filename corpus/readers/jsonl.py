"""JSON lines, plain, gzip or zstd: blocks of whole lines parsed in Rust
(`termnorm_core::jsonl`), cut into tables of `batch_size` documents.

A record's id is its id field as written (a number or other non-string value as its JSON text),
or `FILE:LINE` without one; its metadata the other fields (or those `Fields.meta` names) as
compact JSON, in file order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
from isal import igzip, isal_zlib

from corpus.readers.records import DOCS_SCHEMA, Fields, Reject
from termnorm import _native

BLOCK = 1 << 22


# what a damaged gzip or zstd stream raises (isal: EOFError, BadGzipFile, IsalError; Arrow:
# OSError)
UNREADABLE = (EOFError, OSError, isal_zlib.error)


def _open(path: Path) -> BinaryIO:
    """The file's bytes, decompressed: gzip by ISA-L (`isal`, 2.2x zlib's speed on MTSamples),
    zstd by Arrow's C++ stream."""
    name = path.name.lower()
    if name.endswith(".gz"):
        return igzip.open(path, "rb")
    return pa.input_stream(str(path), compression="zstd" if name.endswith(".zst") else None)


def _blocks(path: Path) -> Iterator[tuple[bytes, int, int]]:
    """The file as `(buf, start, end)`: `buf[start:end]` whole lines (the last may lack its
    newline). A chunk read is handed over in place; only the line it finishes (begun in the
    chunk before) is copied."""
    with _open(path) as f:
        rest = b""
        while chunk := f.read(BLOCK):
            last = chunk.rfind(b"\n") + 1
            if not last:  # a line longer than the block
                rest += chunk
                continue
            first = 0
            if rest:
                first = chunk.find(b"\n") + 1
                yield rest + chunk[:first], 0, len(rest) + first
            if first < last:
                yield chunk, first, last
            rest = chunk[last:]
        if rest:
            yield rest, 0, len(rest)


def read(path: Path, fields: Fields, batch_size: int) -> Iterator[tuple[pa.Table, list[Reject]]]:
    """Tables of `batch_size` documents; each comes with the lines rejected since the one
    before it, the rest with a last (possibly empty) table."""
    docs: list[pa.Table] = []
    rejects: list[Reject] = []
    held = 0
    line = 1
    blocks = _blocks(path)
    while True:
        try:
            block = next(blocks, None)
        except UNREADABLE as e:
            if isinstance(e, FileNotFoundError | PermissionError | IsADirectoryError):
                raise
            # a truncated or damaged stream: what was read stays, the rest is one reject
            rejects.append(Reject(path.name, line, f"unreadable from this line on: {e}", ""))
            break
        if block is None:
            break
        buf, start, end = block
        n, parsed, bad = _native.jsonl_parse(buf, line, path.name, fields.text, fields.id,
                                             fields.meta, start, end)
        line += n
        rejects += [Reject(path.name, no, reason, raw) for no, reason, raw in bad]
        table = _table(parsed, path.name)
        docs.append(table)
        held += table.num_rows
        while held >= batch_size:
            batch = pa.concat_tables(docs)
            head, tail = batch.slice(0, batch_size), batch.slice(batch_size)
            last = head.column("line")[-1].as_py()
            mine = [r for r in rejects if r.line < last]
            rejects = rejects[len(mine):]
            yield head.combine_chunks(), mine
            docs, held = [tail], tail.num_rows
    yield (pa.concat_tables(docs).combine_chunks() if docs else DOCS_SCHEMA.empty_table()), rejects


def _table(parsed: pa.StructArray, source: str) -> pa.Table:
    return pa.table({
        "doc_id": parsed.field("doc_id"),
        "source": pa.repeat(pa.scalar(source, pa.string()), len(parsed)),
        "line": parsed.field("line"), "text": parsed.field("text"),
        "meta": parsed.field("meta"),
    }, schema=DOCS_SCHEMA)
