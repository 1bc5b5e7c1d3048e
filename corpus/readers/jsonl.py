"""JSON lines, plain, gzip or zstd, streamed line by line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pyarrow as pa

from corpus.readers.records import Batcher, Fields, Reject


def _lines(path: Path) -> Iterator[list[bytes]]:
    """Lines (without their newline), a list per 1 MB block read; gzip and zstd decompressed
    by Arrow's C++ streams (a Python `gzip` line iterator cost half of reading a note
    collection)."""
    name = path.name.lower()
    codec = "gzip" if name.endswith(".gz") else "zstd" if name.endswith(".zst") else None
    with pa.input_stream(str(path), compression=codec) as f:
        rest = b""
        while chunk := f.read(1 << 20):
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            yield lines
        if rest:
            yield [rest]


def read(path: Path, fields: Fields, batch_size: int) -> Iterator[tuple[pa.Table, list[Reject]]]:
    batcher = Batcher(path.name, fields, batch_size)
    no = 0
    for block in _lines(path):
        for raw in block:
            no += 1
            if not raw.strip():
                continue
            if raw.endswith(b"\r"):
                raw = raw.rstrip(b"\r")
            try:
                record = orjson.loads(raw)  # checks the UTF-8 too
            except orjson.JSONDecodeError as e:
                batcher.rejects.append(_bad_line(path, no, raw, e))
                continue
            yield from batcher.add(no, record, raw)
    yield batcher.flush()


def _bad_line(path: Path, no: int, raw: bytes, e: orjson.JSONDecodeError) -> Reject:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as u:
        return Reject(path.name, no, f"invalid UTF-8 at byte {u.start}",
                      raw[:10_000].decode("utf-8", "replace"))
    return Reject(path.name, no, f"bad JSON: {e}", text[:10_000])
