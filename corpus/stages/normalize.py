"""Concept mentions of each document through the normalization engine: the `mentions` sidecar.

One `Normalizer.normalize_batch` call per batch (normalization, exact matching, abbreviation
senses and context in Rust); offsets are chars of the document's output text.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from termnorm.normalizer import Normalizer, dictionary_of
from termnorm.text import _as_array

# No column is ever null: required Parquet columns, written without definition levels.
MENTIONS_SCHEMA = pa.schema([pa.field(name, t, nullable=False) for name, t in [
    ("doc_id", pa.string()), ("start", pa.uint32()), ("end", pa.uint32()),
    ("surface", pa.string()), ("concept_id", pa.string()), ("score", pa.float64()),
    ("negated", pa.bool_()), ("uncertain", pa.bool_()), ("historical", pa.bool_()),
    ("family", pa.bool_()), ("method", pa.string()),
]])
# The sidecar as written: the repeating columns as dictionary arrays, which the Parquet writer
# stores as they are (no hashing of 10^5 strings a batch); written without the Arrow schema,
# the file reads back as MENTIONS_SCHEMA.
ENCODED = ("doc_id", "surface", "concept_id", "score", "method")
SIDECAR_SCHEMA = pa.schema([f.with_type(pa.dictionary(pa.int32(), f.type)) if f.name in ENCODED
                            else f for f in MENTIONS_SCHEMA])


@lru_cache(maxsize=2)
def normalizer(ontology: str) -> Normalizer:
    """One per process and terminology: loading the lexicon and senses takes a second or two."""
    return Normalizer.load(ontology)


def mentions(doc_ids: pa.Array, texts: pa.Array, ontology: str,
             text_of: np.ndarray | None = None) -> pa.Table:
    """The mentions of each document, in document order. `text_of[i]`: the index in `texts`
    of document i's text (identical texts annotated once); by default texts[i] is document i's."""
    return for_documents(text_mentions(texts, ontology)[0], doc_ids, text_of).cast(
        MENTIONS_SCHEMA)


def text_mentions(texts: pa.Array, ontology: str) -> tuple[pa.Table, pa.FixedSizeBinaryArray]:
    """The mentions of each text, `doc` its index in `texts` (ascending; surface, concept_id,
    name, score and method dictionary-encoded), and each text's exact-duplicate key (as
    `_native.exact_keys`), which the same pass computes."""
    return normalizer(ontology).normalize_batch_keyed(texts, encoded=True)


def for_documents(found: pa.Table, doc_ids: pa.Array, text_of: np.ndarray | None = None
                  ) -> pa.Table:
    """`text_mentions` copied to each document (`text_of` as for `mentions`): the sidecar as
    written (SIDECAR_SCHEMA)."""
    if text_of is None:
        text_of = np.arange(len(doc_ids))
    doc = found.column("doc").to_numpy()  # ascending: the batch is annotated in order
    per_text = np.bincount(doc, minlength=int(text_of.max(initial=-1)) + 1)
    first = np.cumsum(per_text) - per_text
    per_doc = per_text[text_of]
    # document i takes its text's rows first[text_of[i]] ... + per_doc[i], documents in order
    owner = np.repeat(np.arange(len(text_of)), per_doc)
    rows = np.repeat(first[text_of], per_doc) + np.arange(len(owner)) - (
        np.cumsum(per_doc) - per_doc)[owner]
    found = found.select(MENTIONS_SCHEMA.names[1:]).take(rows)  # all but doc_id
    doc_id = dictionary_of(owner, _as_array(doc_ids))
    return found.add_column(0, "doc_id", doc_id).cast(SIDECAR_SCHEMA)


COUNTS_SCHEMA = pa.schema([
    pa.field("concept_id", pa.string(), nullable=False), pa.field("name", pa.string()),
    pa.field("mentions", pa.int64(), nullable=False),
    pa.field("affirmed", pa.int64(), nullable=False),
])


def concept_counts(found: pa.Table | None, sidecar: pa.Table) -> pa.Table:
    """Mentions and affirmed (not negated) mentions of each concept in `sidecar` (a batch's, as
    `for_documents` makes it), with the concept's name (its ID where it has none) from `found`
    (`text_mentions`), in the order of the sidecar's concept dictionary. Summed over a run's
    rows they answer "how often is X mentioned" without scanning the mentions or the
    terminology's names."""
    if found is None or sidecar.num_rows == 0:
        return COUNTS_SCHEMA.empty_table()
    concept = sidecar.column("concept_id").combine_chunks()
    n = len(concept.dictionary)
    idx = concept.indices.to_numpy()
    mentions = np.bincount(idx, minlength=n)
    affirmed = np.bincount(idx, weights=~sidecar.column("negated").to_numpy(), minlength=n)
    # a concept's name: `found` holds the same concept dictionary, and names in its own
    c, m = found.column("concept_id").combine_chunks(), found.column("name").combine_chunks()
    name_of = np.zeros(n, np.int64)
    name_of[c.indices.to_numpy()] = m.indices.to_numpy()
    names = pc.coalesce(m.dictionary.take(pa.array(name_of)), concept.dictionary)
    used = mentions > 0
    return pa.table([concept.dictionary.filter(pa.array(used)), names.filter(pa.array(used)),
                     pa.array(mentions[used]), pa.array(affirmed[used].astype(np.int64))],
                    schema=COUNTS_SCHEMA)
