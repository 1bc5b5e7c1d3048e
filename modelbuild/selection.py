"""The documents a model build reads: kept copies (not duplicates) of the catalog's `docs`, in
`doc_id` order, narrowed by a user's SQL condition.

    for batch in documents("out/corpus", where="lang = 'en' AND md5_number(doc_id) % 10 <> 0"):
        batch.column("text")
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from corpus.catalog import stream

# A tenth of the documents, chosen by a hash of their ID: stable across runs and machines.
HELD_OUT = "md5_number(doc_id) % 10 = 0"


def select_sql(where: str | None, columns: str = "doc_id, text") -> str:
    cond = f" AND ({where})" if where else ""
    return (
        f"SELECT {columns} FROM docs WHERE dup_of IS NULL AND withdrawn IS NULL{cond} "
        "ORDER BY doc_id"
    )


def documents(
    catalog: str | Path,
    where: str | None = None,
    columns: str = "doc_id, text",
    batch_rows: int = 2048,
) -> Iterator[pa.RecordBatch]:
    """Batches of the selected documents (the catalog is read-only; `where` can only read)."""
    yield from stream(catalog, select_sql(where, columns), batch_rows)


def texts(catalog: str | Path, where: str | None = None) -> Iterator[list[str]]:
    """The selected texts, a list per batch (the form HF tokenizers' trainers take)."""
    for batch in documents(catalog, where, "text"):
        yield [t for t in batch.column(0).to_pylist() if t]
