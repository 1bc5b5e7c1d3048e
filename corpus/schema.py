"""Every table a corpus run reads or writes, declared once.

`RECORDS` is what a reader yields; `DOCS` lists every column a `docs` file can have, in the
order written, and `docs(stages)` the ones a run's stages fill; the sidecars (`MENTIONS`,
`COUNTS`, `signatures(num_perm)`), `REJECTS` and the run's `DUPLICATES` follow. A stage
declares the docs columns it fills (`Stage.columns`); the rest come from the reader.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pyarrow as pa

from termnorm import _native

if TYPE_CHECKING:
    from corpus.batch import Stage

# a reader's document rows; `doc_id` is the document's key (corpus.readers.records);
# `patient` the patient's key (as read; in docs a salted hash when the phi stage runs);
# `identifiers` what the source says identifies the record's patient ("NAME\tDevin82": a FHIR
# Patient's), for the de-identification only: never written
RECORDS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("id", pa.string()),
        ("patient", pa.string()),
        ("source", pa.string()),
        ("line", pa.int64()),
        ("text", pa.large_string()),
        ("meta", pa.string()),
        ("identifiers", pa.list_(pa.string())),
    ]
)
NEVER_WRITTEN = ("identifiers",)

PHI_COUNTS = pa.struct([(t, pa.uint32()) for t in _native.PHI_TYPES])

DOCS = pa.schema(
    [
        # the record: its key, id as written, patient key, source path, line, output text,
        # metadata (JSON)
        *(f for f in RECORDS if f.name not in NEVER_WRITTEN),
        ("raw_sha256", pa.string()),  # of the text as read
        # quality: signals and language
        ("lang", pa.large_string()),
        ("mixed_script", pa.bool_()),
        ("n_chars", pa.uint32()),
        ("n_words", pa.uint32()),
        ("mean_word_len", pa.float64()),
        ("symbol_ratio", pa.float64()),
        ("digit_ratio", pa.float64()),
        ("dup_line_frac", pa.float64()),
        ("cjk_ratio", pa.float64()),
        ("boilerplate_lines", pa.uint32()),  # boilerplate: lines dropped
        ("phi_count", pa.uint32()),
        ("phi", PHI_COUNTS),  # phi: identifiers replaced, by type
        # tag
        ("doc_type", pa.large_string()),
        ("specialty", pa.large_string()),
        ("year", pa.large_string()),
        ("region", pa.large_string()),
    ]
)
# what every docs file has, whatever the stages
ALWAYS = (*(n for n in RECORDS.names if n not in NEVER_WRITTEN), "raw_sha256")


def docs(stages: Iterable[Stage]) -> pa.Schema:
    """The docs columns `stages` fill, with the reader's, in DOCS's order."""
    filled = {*ALWAYS, *(c for s in stages for c in s.columns)}
    unknown = filled - set(DOCS.names)
    assert not unknown, f"docs columns not declared in corpus.schema.DOCS: {sorted(unknown)}"
    return pa.schema([f for f in DOCS if f.name in filled])


# No column is ever null: required Parquet columns, written without definition levels.
MENTIONS = pa.schema(
    [
        pa.field(name, t, nullable=False)
        for name, t in [
            ("doc_id", pa.string()),
            ("start", pa.uint32()),
            ("end", pa.uint32()),
            ("surface", pa.string()),
            ("concept_id", pa.string()),
            ("score", pa.float64()),
            ("negated", pa.bool_()),
            ("uncertain", pa.bool_()),
            ("historical", pa.bool_()),
            ("family", pa.bool_()),
            ("method", pa.string()),
        ]
    ]
)
# The mentions sidecar as written: the repeating columns as dictionary arrays, which the Parquet
# writer stores as they are (no hashing of 10^5 strings a batch); written without the Arrow
# schema, the file reads back as MENTIONS.
ENCODED = ("doc_id", "surface", "concept_id", "score", "method")
SIDECAR = pa.schema(
    [f.with_type(pa.dictionary(pa.int32(), f.type)) if f.name in ENCODED else f for f in MENTIONS]
)

COUNTS = pa.schema(
    [
        pa.field("concept_id", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("mentions", pa.int64(), nullable=False),
        pa.field("affirmed", pa.int64(), nullable=False),
    ]
)


def signatures(num_perm: int) -> pa.Schema:
    """What deduplication reads of each document: its exact-duplicate key and MinHash."""
    return pa.schema(
        [
            ("doc_id", pa.string()),
            ("exact_key", pa.binary(16)),
            ("minhash", pa.list_(pa.uint32(), num_perm)),
        ]
    )


REJECTS = pa.schema(
    [
        ("source", pa.string()),
        ("line", pa.int64()),
        ("reason", pa.string()),
        ("raw", pa.large_string()),
    ]
)

DUPLICATES = pa.schema(
    [("doc_id", pa.string()), ("dup_cluster", pa.string()), ("dup_of", pa.string())]
)

WITHDRAWN = pa.schema([("doc_id", pa.string()), ("withdrawn", pa.string())])
