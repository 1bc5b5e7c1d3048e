"""JSON lines, plain, gzip or zstd, streamed line by line."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import orjson
import pyarrow as pa

from corpus.readers.records import Batcher, Fields, Reject


def _lines(path: Path) -> Iterator[bytes]:
    name = path.name.lower()
    if name.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            yield from f
    elif name.endswith(".zst"):
        with pa.input_stream(str(path), compression="zstd") as f:
            rest = b""
            while chunk := f.read(1 << 20):
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                yield from (line + b"\n" for line in lines)
            if rest:
                yield rest
    else:
        with open(path, "rb") as f:
            yield from f


def read(path: Path, fields: Fields, batch_size: int) -> Iterator[tuple[pa.Table, list[Reject]]]:
    batcher = Batcher(path.name, fields, batch_size)
    for no, raw in enumerate(_lines(path), start=1):
        if not raw.strip():
            continue
        raw = raw.rstrip(b"\r\n")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            batcher.rejects.append(Reject(path.name, no, f"invalid UTF-8 at byte {e.start}",
                                          raw[:10_000].decode("utf-8", "replace")))
            continue
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            batcher.rejects.append(Reject(path.name, no, f"bad JSON: {e}", text[:10_000]))
            continue
        yield from batcher.add(no, record, text)
    yield batcher.flush()
