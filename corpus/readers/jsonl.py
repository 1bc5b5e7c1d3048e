"""JSON lines, plain or compressed, in any encoding: blocks of whole lines parsed in Rust
(`termnorm_core::jsonl`), cut into tables of `batch_size` documents.

A record's id is its id field as written (a number or other non-string value as its JSON text);
its metadata the other fields (or those `Fields.meta` names) as compact JSON, in file order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pyarrow as pa

from corpus.readers import streams
from corpus.readers.records import Fields, Ids, Reject, id_text
from corpus.schema import RECORDS
from termnorm import _native


def _blocks(chunks: Iterator[bytes]) -> Iterator[tuple[bytes, int, int]]:
    """The text as `(buf, start, end)`: `buf[start:end]` whole lines (the last may lack its
    newline). A chunk read is handed over in place; only the line it finishes (begun in the
    chunk before) is copied."""
    rest = b""
    for chunk in chunks:
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


def read(
    path: Path, source: str, fields: Fields, batch_size: int, encoding: str
) -> Iterator[tuple[pa.Table, list[Reject]]]:
    """Tables of `batch_size` documents; each comes with the lines rejected since the one
    before it, the rest with a last (possibly empty) table."""
    docs: list[pa.Table] = []
    rejects: list[Reject] = []
    ids = Ids()
    held = 0
    line = 1
    blocks = _blocks(streams.utf8(path, encoding))
    # the patient's field travels in the metadata to `_table`, whatever `meta` keeps
    meta_fields = fields.meta
    if meta_fields is not None and fields.patient and fields.patient not in meta_fields:
        meta_fields = (*meta_fields, fields.patient)
    while True:
        try:
            block = next(blocks, None)
        except streams.Damaged as e:
            # a cut or damaged stream: what was read stays, the rest is one reject
            rejects.append(Reject(source, line, f"unreadable from this line on: {e}", ""))
            break
        if block is None:
            break
        buf, start, end = block
        n, parsed, bad = _native.jsonl_parse(
            buf, line, source, fields.text, fields.id, meta_fields, start, end
        )
        line += n
        rejects += [Reject(source, no, reason, raw) for no, reason, raw in bad]
        table, repeated = ids.check(_table(parsed, source, fields.patient), source)
        if repeated:
            rejects = sorted(rejects + repeated, key=lambda r: r.line)
        docs.append(table)
        held += table.num_rows
        while held >= batch_size:
            batch = pa.concat_tables(docs)
            head, tail = batch.slice(0, batch_size), batch.slice(batch_size)
            last = head.column("line")[-1].as_py()
            mine = [r for r in rejects if r.line < last]
            rejects = rejects[len(mine) :]
            yield head.combine_chunks(), mine
            docs, held = [tail], tail.num_rows
    yield (pa.concat_tables(docs).combine_chunks() if docs else RECORDS.empty_table()), rejects


def _table(parsed: pa.StructArray, source: str, patient: str | None) -> pa.Table:
    meta, patients = parsed.field("meta"), pa.nulls(len(parsed), pa.string())
    if patient:
        meta, patients = _take_field(meta, patient)
    return pa.table(
        {
            "doc_id": parsed.field("doc_id"),
            "id": parsed.field("id"),
            "patient": patients,
            "source": pa.repeat(pa.scalar(source, pa.string()), len(parsed)),
            "line": parsed.field("line"),
            "text": parsed.field("text"),
            "meta": meta,
            "identifiers": pa.nulls(len(parsed), pa.list_(pa.string())),
        },
        schema=RECORDS,
    )


def _take_field(meta: pa.Array, name: str) -> tuple[pa.Array, pa.Array]:
    """`name` taken out of each record's metadata: (the metadata without it, its values as
    the id text). Only the records that name it are parsed."""
    values: list[str | None] = [None] * len(meta)
    out = meta.to_pylist()
    key = orjson.dumps(name)
    for i, m in enumerate(out):
        if m is None or key not in m.encode():
            continue
        record = orjson.loads(m)
        value = record.pop(name, None)
        values[i] = None if value in (None, "") else id_text(value)
        out[i] = orjson.dumps(record).decode() if record else None
    return pa.array(out, pa.string()), pa.array(values, pa.string())
