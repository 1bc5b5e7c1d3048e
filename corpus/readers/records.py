"""What every reader produces: document rows, rejects, and the field mapping.

A document's key, `doc_id`, is `SOURCE#ID` for a record with an id and `SOURCE:LINE` for one
without; `SOURCE` is the file's path relative to the run's inputs (`corpus.runner.plan`), so two
exports that both number their notes from 1 stay apart. An id that repeats within a file makes
the later record a reject: every key is unique in a run's outputs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from corpus.options import Options, StrTuple
from corpus.schema import RECORDS


class Fields(Options):
    """Which fields of a record hold its id, text and metadata."""

    id: str | None = None
    """The field holding a record's ID (without one: its line)."""
    text: str = "text"
    """The field holding the text."""
    meta: StrTuple | None = None
    """The fields kept as metadata (default: every other field)."""
    patient: str | None = None
    """The field holding the patient's key (an MRN, a FHIR subject): the surrogates are the
    patient's across their notes, the train / validation split never divides them, and the
    output keeps only a salted hash of it."""


# a reader's own field of a record: what identifies its patient, "TYPE\tvalue" (schema.RECORDS)
IDENTIFIERS = "_identifiers"


@dataclass(frozen=True)
class Reject:
    source: str
    line: int | None
    reason: str
    raw: str


def doc_key(source: str, id: str | None, line: int) -> str:
    return f"{source}#{id}" if id is not None else f"{source}:{line}"


@dataclass
class Ids:
    """The ids seen so far in one file, and on which line."""

    seen: dict[str, int] = field(default_factory=dict)

    def repeats(self, id: str | None, line: int) -> str | None:
        """Why the record of `line` is a reject when an earlier one has its id, else None."""
        if id is None:
            return None
        first = self.seen.setdefault(id, line)
        return None if first == line else f"id {id!r} repeats the record of line {first}"

    def check(self, table: pa.Table, source: str) -> tuple[pa.Table, list[Reject]]:
        """`table` without its rows whose id an earlier row of the file has, and those rows as
        rejects (the raw record: its metadata and text, as JSON)."""
        ids = table.column("id")
        if ids.null_count == len(ids):
            return table, []
        lines = table.column("line").to_pylist()
        reasons = [self.repeats(id, line) for id, line in zip(ids.to_pylist(), lines, strict=True)]
        bad = [i for i, r in enumerate(reasons) if r]
        if not bad:
            return table, []
        texts, metas = table.column("text"), table.column("meta")
        rejects = [
            Reject(source, lines[i], reasons[i], _as_record(texts[i].as_py(), metas[i].as_py()))
            for i in bad
        ]
        keep = np.ones(len(table), bool)
        keep[bad] = False
        return table.filter(pa.array(keep)), rejects


@dataclass
class Batcher:
    """Turns (line, record) pairs into document tables of `size` rows, and bad records into
    rejects; `flush` at the end. `source` names the file (a text folder's reader gives each
    record its own)."""

    source: str
    fields: Fields
    size: int
    rows: dict[str, list] = field(default_factory=lambda: {k: [] for k in RECORDS.names})
    rejects: list[Reject] = field(default_factory=list)
    ids: Ids = field(default_factory=Ids)

    def add(
        self, line: int, record: Any, raw: str | bytes, source: str | None = None
    ) -> Iterator[tuple[pa.Table, list[Reject]]]:
        """`raw`, the record as read (bytes are decoded only if it is rejected)."""
        source = source or self.source
        problem = self._problem(record)
        f = self.fields
        id = None
        if not problem and f.id:
            value = record.get(f.id)
            id = None if value is None or value == "" else id_text(value)
            problem = self.ids.repeats(id, line)
        if problem:
            if isinstance(raw, bytes):
                raw = raw[:40_000].decode("utf-8", "replace")
            self.rejects.append(Reject(source, line, problem, raw[:10_000]))
        else:
            meta = {
                k: v
                for k, v in record.items()
                if k not in (f.text, f.id, f.patient, IDENTIFIERS)
                and (f.meta is None or k in f.meta)
            }
            patient = record.get(f.patient) if f.patient else None
            self.rows["doc_id"].append(doc_key(source, id, line))
            self.rows["id"].append(id)
            self.rows["patient"].append(None if patient in (None, "") else id_text(patient))
            self.rows["identifiers"].append(record.get(IDENTIFIERS) or None)
            self.rows["source"].append(source)
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
        table = pa.table(self.rows, schema=RECORDS)
        out = (table, self.rejects)
        self.rows = {k: [] for k in RECORDS.names}
        self.rejects = []
        return out


def _as_record(text: str, meta: str | None) -> str:
    record = orjson.loads(meta) if meta else {}
    record = record if isinstance(record, dict) else {"meta": record}
    return orjson.dumps({**record, "text": text[:10_000]}).decode()


def id_text(value: Any) -> str:
    """An id as the JSON lines reader writes it: a string as is, anything else as JSON."""
    if isinstance(value, str):
        return value
    return orjson.dumps(value, default=str).decode()
