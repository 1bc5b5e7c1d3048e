"""A batch of documents between stages: what every stage reads and adds to.

    batch = Batch.of_records(records)   # a reader's table (schema.RECORDS)
    for stage in stages:
        stage(batch)
    batch.docs(schema.docs(stages))

Per-text work is done once per distinct text (a note filed under several specialties, a copied
template): `texts` holds each distinct text once and `of[i]` is the index of document i's. A
stage adds columns per distinct text (`per_text`) or per document (`per_doc`), replaces the
texts (`set_texts`), or rejects documents (`drop`); the side outputs (mentions, signatures)
go to `outputs`. `raw` and `raw_of` keep the texts as read, for what is measured on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpus.readers import Reject
from termnorm import _native


@dataclass
class Batch:
    records: pa.Table  # the documents still kept, as read (schema.RECORDS)
    raw: pa.Array  # distinct texts as read
    raw_of: np.ndarray  # per document: its index in `raw`
    texts: pa.Array  # distinct texts as the stages so far left them
    of: np.ndarray  # per document: its index in `texts`
    per_text: dict[str, pa.Array] = field(default_factory=dict)
    per_doc: dict[str, pa.Array] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    outputs: dict[str, pa.Table] = field(default_factory=dict)
    # the mentions of each distinct text (`doc`: its index in `texts`), once found
    mentions: pa.Table | None = None
    meta_dropped: set[str] = field(default_factory=set)  # identifying metadata fields
    deidentified: bool = False  # the texts are: a reject then keeps them, not the raw text

    @classmethod
    def of_records(cls, records: pa.Table) -> Batch:
        """A reader's table, with each text's SHA-256 as read (`raw_sha256`)."""
        raw, raw_of = distinct(records.column("text").combine_chunks())
        sha = _native.sha256_hex(raw).take(raw_of)
        return cls(records, raw, raw_of, raw, raw_of, per_doc={"raw_sha256": sha})

    def __len__(self) -> int:
        return self.records.num_rows

    def column(self, name: str) -> pa.Array:
        """A reader's column (`doc_id`, `meta`, ...) of the kept documents."""
        return self.records.column(name).combine_chunks()

    def copies(self) -> np.ndarray:
        """How many documents each distinct text stands for."""
        return np.bincount(self.of, minlength=len(self.texts))

    def set_texts(self, texts: pa.Array) -> None:
        """New texts, one per distinct text; texts that became equal (a copy with other line
        breaks, once cleaned) are kept once. Columns per text made before become columns per
        document."""
        assert self.mentions is None, "texts changed after their mentions were found"
        self.per_doc.update({k: v.take(self.of) for k, v in self.per_text.items()})
        self.per_text = {}
        self.texts, again = distinct(texts)
        self.of = again[self.of]

    def drop(self, reasons: pa.Array) -> None:
        """Reject the documents whose text has a reason (null: kept), with the text as read
        (as de-identified, once it is)."""
        assert self.mentions is None, "documents dropped after their mentions were found"
        keep_text = pc.is_null(reasons).to_numpy(zero_copy_only=False)
        keep = keep_text[self.of]
        if keep.all():
            return
        gone = np.flatnonzero(~keep)
        source, line = (self.records.column(c).take(gone).to_pylist() for c in ("source", "line"))
        text = (
            self.texts.take(self.of[gone])
            if self.deidentified
            else self.records.column("text").take(gone)
        ).to_pylist()
        why = reasons.take(self.of[gone]).to_pylist()
        self.rejects += [
            Reject(s, n, r, t[:10_000]) for s, n, r, t in zip(source, line, why, text, strict=True)
        ]
        rows = pa.array(np.flatnonzero(keep))
        self.records = self.records.take(rows)
        self.raw_of = self.raw_of[keep]
        self.per_doc = {k: v.take(rows) for k, v in self.per_doc.items()}
        kept = np.flatnonzero(keep_text)
        self.texts = self.texts.take(pa.array(kept))
        self.per_text = {k: v.take(pa.array(kept)) for k, v in self.per_text.items()}
        self.of = np.searchsorted(kept, self.of[keep])

    def docs(self, schema: pa.Schema) -> pa.Table:
        """The documents as `schema` orders and types their columns."""

        def column(name: str) -> pa.Array:
            if name == "text":
                return self.texts.take(self.of)
            if name in self.per_doc:
                return self.per_doc[name]
            if name in self.per_text:
                return self.per_text[name].take(self.of)
            return self.records.column(name)

        return pa.table([column(f.name) for f in schema], schema=schema)


def distinct(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The distinct texts (first-seen order) and, for each row, the index of its text: one
    hashing pass (dictionary encoding), where `unique` then `index_in` took two."""
    enc = pc.dictionary_encode(text, null_encoding="encode")
    return enc.dictionary, enc.indices.to_numpy()


class Stage:
    """One step over a batch (DataTrove's `PipelineStep`, over whole Arrow batches): reads
    what earlier stages left in it, adds or replaces. `columns`: the docs columns it fills."""

    name: ClassVar[str]
    columns: ClassVar[tuple[str, ...]] = ()

    def __call__(self, batch: Batch) -> None:
        raise NotImplementedError
