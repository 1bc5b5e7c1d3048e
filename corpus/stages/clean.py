"""The clean stage: mojibake repaired (UTF-8 shown as Windows-1252/Latin-1), Unicode NFC,
control characters dropped, spaces and line breaks tidied; case and content kept. In Rust
(`rust_ext/core/src/clean.rs`), one call per batch.

    clean(["CafÃ© au lait\\r\\n\\r\\n\\r\\n"])   # ["Café au lait"]

`remove_boilerplate` drops lines that recur verbatim in many documents of a batch (signature
blocks, dictation footers, template sentences): lines of at least `min_chars` chars found in at
least `min_share` of the documents and no fewer than `min_docs`. Short lines such as section
headers ("CHIEF COMPLAINT:") are never dropped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpus.batch import Batch, Stage
from termnorm import _native
from termnorm_utils.arrow import as_array


def clean(texts: pa.Array | pa.ChunkedArray | Iterable[str | None]) -> pa.LargeStringArray:
    return _native.clean_array(as_array(texts))


def remove_boilerplate(
    texts: pa.Array | pa.ChunkedArray | Iterable[str | None],
    min_docs: int = 10,
    min_share: float = 0.01,
    min_chars: int = 30,
    copies: np.ndarray | None = None,
) -> tuple[pa.LargeStringArray, pa.UInt32Array]:
    """(texts without boilerplate lines, lines dropped per text). `copies[i]`: how many
    documents text i stands for (a batch's distinct texts, each once); by default one each."""
    arr = as_array(texts)
    docs = len(arr) if copies is None else int(copies.sum())
    threshold = max(min_docs, math.ceil(min_share * docs))
    return _native.remove_boilerplate(
        arr, threshold, min_chars, None if copies is None else pa.array(copies, pa.uint32())
    )


class Clean(Stage):
    name = "clean"

    def __call__(self, batch: Batch) -> None:
        batch.set_texts(clean(batch.texts))


@dataclass(frozen=True)
class RemoveBoilerplate(Stage):
    """Lines counted across the batch's documents: each distinct text counts as its copies."""

    min_docs: int = 10
    min_share: float = 0.01
    min_chars: int = 30
    name = "boilerplate"
    columns = ("boilerplate_lines",)

    def __call__(self, batch: Batch) -> None:
        trimmed, dropped = remove_boilerplate(
            batch.texts, self.min_docs, self.min_share, self.min_chars, copies=batch.copies()
        )
        batch.per_doc["boilerplate_lines"] = dropped.take(batch.of)
        if pc.any(pc.not_equal(dropped, 0)).as_py():
            batch.set_texts(trimmed)
