"""Near-duplicate detection: MinHash + LSH banding + union-find, in Rust.

    ids = near_duplicates(texts, threshold=0.8)   # numpy uint32, one cluster ID per text

Texts whose estimated Jaccard similarity (of word `ngram` shingles) is at least `threshold` end
in one cluster; a cluster's ID is its smallest text index, which is also the copy to keep
(deterministic, whatever the batch order of the work). LSH candidates are verified on the whole
signature, so precision does not depend on the banding.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa

from corpus.minhash import signatures
from termnorm import _native


def clusters(sigs: np.ndarray, threshold: float = 0.8) -> np.ndarray:
    """Cluster IDs from a (n, num_perm) uint32 signature matrix."""
    sigs = np.ascontiguousarray(sigs, dtype=np.uint32)
    num_perm = sigs.shape[1]
    ids = _native.minhash_clusters(pa.array(sigs.reshape(-1)), num_perm, threshold)
    return ids.to_numpy(zero_copy_only=False)


def near_duplicates(texts: pa.Array | pa.ChunkedArray | Iterable[str | None],
                    threshold: float = 0.8, num_perm: int = 128, ngram: int = 5,
                    seed: int = 1) -> np.ndarray:
    return clusters(signatures(texts, num_perm, ngram, seed), threshold)
