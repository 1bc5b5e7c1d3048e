"""JSON lines, plain, gzip or zstd, streamed line by line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pyarrow as pa

from corpus.readers.records import Batcher, Fields, Reject


def _lines(path: Path) -> Iterator[bytes]:
    """Lines (with their newline) read in 1 MB blocks; gzip and zstd decompressed by Arrow's
    C++ streams (a Python `gzip` line iterator cost half of reading a note collection)."""
    name = path.name.lower()
    codec = "gzip" if name.endswith(".gz") else "zstd" if name.endswith(".zst") else None
    with pa.input_stream(str(path), compression=codec) as f:
        rest = b""
        while chunk := f.read(1 << 20):
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            yield from (line + b"\n" for line in lines)
        if rest:
            yield rest


def read(path: Path, fields: Fields, batch_size: int) -> Iterator[tuple[pa.Table, list[Reject]]]:
    batcher = Batcher(path.name, fields, batch_size)
    for no, raw in enumerate(_lines(path), start=1):
        if not raw.strip():
            continue
        raw = raw.rstrip(b"\r\n")
        try:
            record = orjson.loads(raw)  # checks the UTF-8 too
        except orjson.JSONDecodeError as e:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as u:
                batcher.rejects.append(Reject(path.name, no, f"invalid UTF-8 at byte {u.start}",
                                              raw[:10_000].decode("utf-8", "replace")))
                continue
            batcher.rejects.append(Reject(path.name, no, f"bad JSON: {e}", text[:10_000]))
            continue
        yield from batcher.add(no, record, raw)
    yield batcher.flush()
