"""Corpus readers: one format per module, all streaming Arrow tables of documents.

    for docs, rejects in read("notes.jsonl.gz", Fields(id="note_id", text="transcription")):
        ...  # docs: pa.Table(doc_id, source, line, text, meta); rejects: list[Reject]

Formats by suffix: `.jsonl` / `.json` lines (plain, `.gz`, `.zst`), `.parquet`, `.csv` / `.tsv`
(plain or `.gz`), and a folder of `.txt` files (one document each). A record that cannot be a
document (bad JSON or UTF-8, no text, a text that is not a string, an empty text) is a `Reject`
naming the file, the line (row, for Parquet and CSV) and the reason; nothing is dropped silently.
No format loads a whole file: tables come `batch_size` documents at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from corpus.readers.records import DOCS_SCHEMA, Fields, Reject

__all__ = ["DOCS_SCHEMA", "Fields", "Reject", "read"]


def read(path: str | Path, fields: Fields | None = None, batch_size: int = 10_000
         ) -> Iterator[tuple[pa.Table, list[Reject]]]:
    from corpus.readers import delimited, jsonl, parquet, textdir

    path = Path(path)
    fields = fields or Fields()
    name = path.name.lower()
    for suffix in (".gz", ".zst"):
        name = name.removesuffix(suffix)
    if path.is_dir():
        reader = textdir.read
    elif name.endswith((".jsonl", ".json", ".ndjson")):
        reader = jsonl.read
    elif name.endswith(".parquet"):
        reader = parquet.read
    elif name.endswith((".csv", ".tsv")):
        reader = delimited.read
    else:
        raise ValueError(f"{path}: unknown corpus format (expected .jsonl[.gz|.zst], .parquet, "
                         ".csv, .tsv or a folder of .txt files)")
    yield from reader(path, fields, batch_size)
