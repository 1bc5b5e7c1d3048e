"""What every reader produces: document rows, rejects, and the field mapping."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa

DOCS_SCHEMA = pa.schema([
    ("doc_id", pa.string()), ("source", pa.string()), ("line", pa.int64()),
    ("text", pa.large_string()), ("meta", pa.string()),
])


@dataclass(frozen=True)
class Fields:
    """Which fields hold the id, the text and the metadata (None: every other field)."""

    id: str | None = None
    text: str = "text"
    meta: list[str] | None = None


@dataclass(frozen=True)
class Reject:
    source: str
    line: int | None
    reason: str
    raw: str


@dataclass
class Batcher:
    """Turns (line, record) pairs into document tables of `size` rows, and bad records into
    rejects; `flush` at the end."""

    source: str
    fields: Fields
    size: int
    rows: dict[str, list] = field(default_factory=lambda: {k: [] for k in DOCS_SCHEMA.names})
    rejects: list[Reject] = field(default_factory=list)

    def add(self, line: int, record: Any, raw: str | bytes
            ) -> Iterator[tuple[pa.Table, list[Reject]]]:
        """`raw`, the record as read (bytes are decoded only if it is rejected)."""
        problem = self._problem(record)
        if problem:
            if isinstance(raw, bytes):
                raw = raw[:40_000].decode("utf-8", "replace")
            self.rejects.append(Reject(self.source, line, problem, raw[:10_000]))
        else:
            f = self.fields
            doc_id = record.get(f.id) if f.id else None
            meta = {k: v for k, v in record.items()
                    if k != f.text and k != f.id and (f.meta is None or k in f.meta)}
            self.rows["doc_id"].append(str(doc_id) if doc_id is not None
                                       else f"{self.source}:{line}")
            self.rows["source"].append(self.source)
            self.rows["line"].append(line)
            self.rows["text"].append(record[f.text])
            self.rows["meta"].append(orjson.dumps(meta, default=str).decode() if meta else None)
        if len(self.rows["line"]) >= self.size:
            yield self.flush()

    def _problem(self, record: Any) -> str | None:
        if not isinstance(record, dict):
            return f"a record must be an object, not {type(record).__name__}"
        text = record.get(self.fields.text)
        if text is None:
            return f"no {self.fields.text!r} field"
        if not isinstance(text, str):
            return f"{self.fields.text!r} is a {type(text).__name__}, not a string"
        if not text.strip():
            return "empty text"
        return None

    def flush(self) -> tuple[pa.Table, list[Reject]]:
        table = pa.table(self.rows, schema=DOCS_SCHEMA)
        out = (table, self.rejects)
        self.rows = {k: [] for k in DOCS_SCHEMA.names}
        self.rejects = []
        return out
