"""A folder of `.txt` files, one document each, in sorted path order, each file in its own
encoding (detected, or the one the run gives); a document's source is the file's path (the
folder's source, then the path inside it; the path alone when the folder is the run's root) and
its line 1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from corpus.readers import streams
from corpus.readers.records import Batcher, Fields, Reject


def read(
    path: Path, source: str, fields: Fields, batch_size: int, encoding: str | None
) -> Iterator[tuple[pa.Table, list[Reject]]]:
    batcher = Batcher(source, Fields(text="text"), batch_size)
    for file in sorted(path.rglob("*.txt")):
        rel = file.relative_to(path).as_posix()
        name = rel if source in ("", ".") else f"{source}/{rel}"
        data = file.read_bytes()
        try:
            text = data.decode(encoding or streams.detect(data[: 1 << 16]))
        except (UnicodeDecodeError, ValueError) as e:
            batcher.rejects.append(Reject(name, None, f"unreadable: {e}", ""))
            continue
        yield from batcher.add(1, {"text": text.lstrip("\ufeff")}, text[:10_000], source=name)
    yield batcher.flush()
