"""Concept mentions of each document through the normalization engine: the `mentions` sidecar.

One `Normalizer.normalize_batch` call per batch (normalization, exact matching, abbreviation
senses and context in Rust); offsets are chars of the document's output text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpus import schema
from corpus.batch import Batch, Stage
from ontology.store import Terminology
from termnorm.normalizer import Normalizer, dictionary_of
from termnorm_utils.arrow import as_array


def normalizer(ontology: str | Terminology, context_rules: Sequence[str] = ()) -> Normalizer:
    """One per process, terminology state and context rules: loading the lexicon and senses
    takes a second or two. A handle equals another of the same folder with the same manifest,
    so pairs learned into the folder since (a new manifest) load afresh; so do edited rules."""
    rules = tuple((r, Path(r).read_bytes()) for r in context_rules)
    return _normalizer(Terminology.open(ontology), rules)


@lru_cache(maxsize=2)
def _normalizer(terminology: Terminology, rules: tuple[tuple[str, bytes], ...]) -> Normalizer:
    return Normalizer.load(terminology, context_rules=[r for r, _ in rules])


def mentions(
    doc_ids: pa.Array,
    texts: pa.Array,
    ontology: str | Terminology,
    text_of: np.ndarray | None = None,
) -> pa.Table:
    """The mentions of each document, in document order. `text_of[i]`: the index in `texts`
    of document i's text (identical texts annotated once); by default texts[i] is document i's."""
    return for_documents(text_mentions(texts, ontology)[0], doc_ids, text_of).cast(schema.MENTIONS)


def text_mentions(
    texts: pa.Array, ontology: str | Terminology, context_rules: Sequence[str] = ()
) -> tuple[pa.Table, pa.FixedSizeBinaryArray]:
    """The mentions of each text, `doc` its index in `texts` (ascending; surface, concept_id,
    name, score and method dictionary-encoded), and each text's exact-duplicate key (as
    `_native.exact_keys`), which the same pass computes."""
    return normalizer(ontology, context_rules).normalize_batch_keyed(texts, encoded=True)


def for_documents(
    found: pa.Table, doc_ids: pa.Array, text_of: np.ndarray | None = None
) -> pa.Table:
    """`text_mentions` copied to each document (`text_of` as for `mentions`): the sidecar as
    written (schema.SIDECAR)."""
    if text_of is None:
        text_of = np.arange(len(doc_ids))
    doc = found.column("doc").to_numpy()  # ascending: the batch is annotated in order
    per_text = np.bincount(doc, minlength=int(text_of.max(initial=-1)) + 1)
    first = np.cumsum(per_text) - per_text
    per_doc = per_text[text_of]
    # document i takes its text's rows first[text_of[i]] ... + per_doc[i], documents in order
    owner = np.repeat(np.arange(len(text_of)), per_doc)
    rows = (
        np.repeat(first[text_of], per_doc)
        + np.arange(len(owner))
        - (np.cumsum(per_doc) - per_doc)[owner]
    )
    found = found.select(schema.MENTIONS.names[1:]).take(rows)  # all but doc_id
    doc_id = dictionary_of(owner, as_array(doc_ids))
    return found.add_column(0, "doc_id", doc_id).cast(schema.SIDECAR)


def concept_counts(found: pa.Table | None, sidecar: pa.Table) -> pa.Table:
    """Mentions and affirmed (not negated) mentions of each concept in `sidecar` (a batch's, as
    `for_documents` makes it), with the concept's name (its ID where it has none) from `found`
    (`text_mentions`), in the order of the sidecar's concept dictionary. Summed over a run's
    rows they answer "how often is X mentioned" without scanning the mentions or the
    terminology's names."""
    if found is None or sidecar.num_rows == 0:
        return schema.COUNTS.empty_table()
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
    return pa.table(
        [
            concept.dictionary.filter(pa.array(used)),
            names.filter(pa.array(used)),
            pa.array(mentions[used]),
            pa.array(affirmed[used].astype(np.int64)),
        ],
        schema=schema.COUNTS,
    )


@dataclass(frozen=True)
class Mentions(Stage):
    """The mentions of each distinct text (kept in the batch for the tags), copied to its
    documents: the `mentions` and `concept_counts` outputs; and each text's exact-duplicate
    key, which the same pass computes."""

    ontology: Terminology
    context_rules: tuple[str, ...] = ()
    name = "mentions"

    def __call__(self, batch: Batch) -> None:
        found, keys = text_mentions(batch.texts, self.ontology, self.context_rules)
        batch.mentions = found
        batch.per_text["exact_key"] = keys
        sidecar = for_documents(found, batch.column("doc_id"), batch.of)
        batch.outputs["mentions"] = sidecar
        batch.outputs["concept_counts"] = concept_counts(found, sidecar)
