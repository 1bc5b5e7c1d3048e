"""The signatures stage: what a run's deduplication reads of each document, its exact-duplicate
key (from the mentions pass when there was one) and its MinHash signature (`corpus.minhash`).
The `signatures` output."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from corpus import schema
from corpus.batch import Batch, Stage
from corpus.minhash import signatures
from termnorm import _native


@dataclass(frozen=True)
class Signatures(Stage):
    num_perm: int = 128
    ngram: int = 5
    seed: int = 1
    name = "signatures"

    def __call__(self, batch: Batch) -> None:
        keys = batch.per_text.get("exact_key")
        if keys is None:
            keys = _native.exact_keys(batch.texts)
        # rows gathered in numpy: Arrow's take on a fixed-size list is ten times slower
        rows = signatures(batch.texts, self.num_perm, self.ngram, self.seed)[batch.of]
        batch.outputs["signatures"] = pa.table(
            [
                batch.column("doc_id"),
                keys.take(batch.of),
                pa.FixedSizeListArray.from_arrays(pa.array(rows.ravel()), self.num_perm),
            ],
            schema=schema.signatures(self.num_perm),
        )
