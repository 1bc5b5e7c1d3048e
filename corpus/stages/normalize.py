"""Concept mentions of each document through the normalization engine: the `mentions` sidecar.

One `Normalizer.normalize_batch` call per batch (normalization, exact matching, abbreviation
senses and context in Rust); offsets are chars of the document's output text.
"""

from __future__ import annotations

from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

from termnorm.normalizer import Normalizer

MENTIONS_SCHEMA = pa.schema([
    ("doc_id", pa.string()), ("start", pa.uint32()), ("end", pa.uint32()),
    ("surface", pa.string()), ("concept_id", pa.string()), ("score", pa.float64()),
    ("negated", pa.bool_()), ("uncertain", pa.bool_()), ("historical", pa.bool_()),
    ("family", pa.bool_()), ("method", pa.string()),
])


@lru_cache(maxsize=2)
def normalizer(ontology: str) -> Normalizer:
    """One per process and terminology: loading the lexicon and senses takes a second or two."""
    return Normalizer.load(ontology)


def mentions(doc_ids: pa.Array, texts: pa.Array, ontology: str) -> pa.Table:
    found = normalizer(ontology).normalize_batch(texts)
    ids = pc.take(doc_ids, found.column("doc"))
    cols = {n: found.column(n) for n in MENTIONS_SCHEMA.names if n != "doc_id"}
    return pa.table({"doc_id": ids, **cols}).cast(MENTIONS_SCHEMA)
