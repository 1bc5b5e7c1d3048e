"""A folder of `.txt` files, one document each, in sorted path order; the id is the relative
path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from corpus.readers.records import Batcher, Fields, Reject


def read(path: Path, fields: Fields, batch_size: int) -> Iterator[tuple[pa.Table, list[Reject]]]:
    batcher = Batcher(path.name, Fields(id="id", text="text"), batch_size)
    for no, file in enumerate(sorted(path.rglob("*.txt")), start=1):
        rel = file.relative_to(path).as_posix()
        try:
            text = file.read_bytes().decode("utf-8")
        except UnicodeDecodeError as e:
            batcher.rejects.append(Reject(rel, None, f"invalid UTF-8 at byte {e.start}", ""))
            continue
        yield from batcher.add(no, {"id": rel, "text": text}, text[:10_000])
    yield batcher.flush()
