"""A JSON array of records (the CBLUE files, many API exports), plain or compressed, in any
encoding; `line` is the record's place in the array (1-based).

The array is parsed whole by orjson; where that fails (a cut or damaged file), record by record,
so the records before the damage are kept and the rest is one reject.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import orjson
import pyarrow as pa

from corpus.readers import streams
from corpus.readers.records import Batcher, Fields, Reject


def read(
    path: Path, source: str, fields: Fields, batch_size: int, encoding: str
) -> Iterator[tuple[pa.Table, list[Reject]]]:
    batcher = Batcher(source, fields, batch_size)
    records, problem = records_of(path, encoding)
    for no, record in enumerate(records, start=1):
        yield from batcher.add(no, record, orjson.dumps(record, default=str).decode())
    if problem:
        batcher.rejects.append(
            Reject(source, len(records) + 1, f"unreadable from this record on: {problem}", "")
        )
    yield batcher.flush()


def records_of(path: Path, encoding: str) -> tuple[list, str | None]:
    """The array's elements and, for a damaged file, why the rest could not be read."""
    chunks = []
    problem = None
    try:
        chunks.extend(streams.utf8(path, encoding))
    except streams.Damaged as e:
        problem = str(e)
    data = b"".join(chunks)
    if problem is None:
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
        else:
            if isinstance(value, list):
                return value, None
            return [], f"a JSON {type(value).__name__}, not an array of records"
    return _prefix(data.decode("utf-8", "replace"), problem)


def _prefix(text: str, problem: str | None) -> tuple[list, str | None]:
    """The whole elements at the start of a JSON array, and where it stops being one."""
    decoder = json.JSONDecoder()
    out: list = []
    pos = text.find("[") + 1
    n = len(text)
    while True:
        while pos < n and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= n or text[pos] == "]":
            break
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            return out, problem or f"bad JSON at line {e.lineno} column {e.colno}: {e.msg}"
        out.append(value)
    if pos >= n:
        return out, problem or "the array is cut short"
    return out, problem
