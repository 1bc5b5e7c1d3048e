"""Duplicate detection in Rust: exact (normalized text) and near (MinHash + LSH + union-find).

    ids = exact_duplicates(texts)                 # numpy uint32: index of the first copy
    ids = near_duplicates(texts, threshold=0.8)   # numpy uint32, one cluster ID per text

Texts whose estimated Jaccard similarity (of word `ngram` shingles) is at least `threshold` end
in one cluster; a cluster's ID is its smallest text index, which is also the copy to keep
(deterministic, whatever the batch order of the work). LSH candidates are verified on the whole
signature, so precision does not depend on the banding.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpus import grouping, schema
from corpus.minhash import signatures
from termnorm import _native
from termnorm_utils.arrow import as_array


def clusters(sigs: np.ndarray, threshold: float = 0.8) -> np.ndarray:
    """Cluster IDs from a (n, num_perm) uint32 signature matrix."""
    sigs = np.ascontiguousarray(sigs, dtype=np.uint32)
    num_perm = sigs.shape[1]
    ids = _native.minhash_clusters(pa.array(sigs.reshape(-1)), num_perm, threshold)
    return ids.to_numpy(zero_copy_only=False)


def near_duplicates(
    texts: pa.Array | pa.ChunkedArray | Iterable[str | None],
    threshold: float = 0.8,
    num_perm: int = 128,
    ngram: int = 5,
    seed: int = 1,
) -> np.ndarray:
    return clusters(signatures(texts, num_perm, ngram, seed), threshold)


def exact_duplicates(texts: pa.Array | pa.ChunkedArray | Iterable[str | None]) -> np.ndarray:
    """For each text, the index of the first text with the same normalized content (case,
    width, whitespace and punctuation style folded; itself when it is the first)."""
    ids = _native.exact_duplicates(as_array(texts))
    return ids.to_numpy(zero_copy_only=False)


def shard_duplicates(
    signature_files: list,
    threshold: float = 0.8,
    withdrawn: pa.Array | None = None,
    memory_gb: float | None = None,
    workdir: str | Path | None = None,
    workers: int = 1,
    engine: str = "local",
) -> pa.Table:
    """Duplicates across shards from their `signatures` files (doc_id, exact_key, minhash), in
    the order given: one row per document in a cluster of two or more, `dup_cluster` the doc_id
    of the copy kept (the first in that order) and `dup_of` the same for the others (null for
    the kept copy). Documents in `withdrawn` (doc_ids) take no part.

    In one process when the signatures fit `memory_gb` (about four copies of 512 bytes per
    document at 128 permutations), else bucket by bucket on disk under `workdir`
    (`corpus.grouping`), `workers` buckets at a time, on Ray for `engine="ray"`: the same
    table either way. `workdir` defaults to the system's temporary folder; give a disk folder
    where that is a tmpfs (which is memory)."""
    import pyarrow.parquet as pq

    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in signature_files)
    if not rows:
        return schema.DUPLICATES.empty_table()
    num_perm = pq.read_schema(signature_files[0]).field("minhash").type.list_size
    if memory_gb is None or rows * num_perm * 4 * 4 <= memory_gb * 2**30:
        return _in_one_process(signature_files, threshold, withdrawn)
    rows, roots = grouping.bucketed_clusters(
        signature_files,
        threshold,
        memory_gb,
        workdir or tempfile.gettempdir(),
        withdrawn,
        workers,
        engine,
    )
    return _table(grouping.doc_ids(signature_files, rows), rows, roots)


def _in_one_process(
    signature_files: list, threshold: float, withdrawn: pa.Array | None
) -> pa.Table:
    import pyarrow.parquet as pq

    sigs = pa.concat_tables([pq.read_table(f) for f in signature_files]).combine_chunks()
    if withdrawn is not None and len(withdrawn):
        sigs = sigs.filter(pc.invert(pc.is_in(sigs.column("doc_id"), value_set=withdrawn)))
        if not sigs.num_rows:
            return schema.DUPLICATES.empty_table()
    flat = sigs.column("minhash").combine_chunks()
    # exact copies join the cluster of their first occurrence (they nearly always share it)
    roots = _native.minhash_clusters(
        flat.flatten(), flat.type.list_size, threshold, sigs.column("exact_key").combine_chunks()
    ).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(np.bincount(roots, minlength=len(roots))[roots] > 1)
    return _table(sigs.column("doc_id").combine_chunks().take(rows), rows, roots[rows])


def _table(ids: pa.Array, rows: np.ndarray, roots: np.ndarray) -> pa.Table:
    """The duplicates table of clustered documents `rows` (sorted), `ids` their doc_ids and
    `roots` their clusters' first documents (among `rows`)."""
    first = ids.take(pa.array(np.searchsorted(rows, roots)))
    kept = pa.array(roots == rows)
    return pa.table(
        {
            "doc_id": ids,
            "dup_cluster": first,
            "dup_of": pc.if_else(kept, pa.nulls(len(rows), pa.string()), first),
        },
        schema=schema.DUPLICATES,
    )
