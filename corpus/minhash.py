"""MinHash signatures in Rust, one call per batch.

    sigs = signatures(texts, num_perm=128, ngram=5, seed=1)   # numpy uint32, (len(texts), 128)

Shingles are `ngram` consecutive words (lower-cased letter/digit runs; every CJK character is a
word, so Chinese gets character n-grams); each permutation is a multiply-shift hash of the
shingle's 64-bit hash. Same inputs and seed, same signatures, on any machine. Nulls and texts
without words get all 2^32 - 1.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa

from termnorm import _native
from termnorm_utils.arrow import as_array


def signatures(
    texts: pa.Array | pa.ChunkedArray | Iterable[str | None],
    num_perm: int = 128,
    ngram: int = 5,
    seed: int = 1,
) -> np.ndarray:
    arr = as_array(texts)
    flat = _native.minhash_signatures(arr, num_perm, ngram, seed)
    return flat.to_numpy(zero_copy_only=False).reshape(len(arr), num_perm)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures: the share of equal values."""
    return float(np.mean(a == b))
