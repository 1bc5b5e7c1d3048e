"""Duplicate grouping across shards in bounded memory, bucket by bucket on disk.

    rows, roots = bucketed_clusters(files, threshold, memory_gb=2, workdir=tmp, workers=2)

The clusters are those of the one-process grouping (`termnorm_core::lsh::clusters`): the same
candidate pairs (a bucket holds every key of its band hashes), the same verification rule, and a
union-find whose root is a cluster's smallest document whatever order the edges come in. Steps:

- map, per signature file: each document's LSH band keys and its exact-copy key, written to
  one file per bucket (partitioned by band hash, and by key);
- reduce, per bucket: candidate triples (doc, first, prev) from the band keys, and exact-copy
  edges (each copy to the first document of its key);
- verify: the candidates on the full signatures of the documents they name (gathered file by
  file; when they do not fit the budget, joined to each pair through the scratch folder);
- union: one union-find over the edges, a root per document named in one.

Documents are numbered in the order of the files and their rows; withdrawn documents keep
their numbers but take no part, so numbers and roots match the one-process path's order.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from corpus.workers import Tasks
from termnorm import _native

EXACT = np.dtype([("k0", "<u8"), ("k1", "<u8"), ("doc", "<u4")])
# A band key on disk (16 B) and what a bucket's reduce holds besides: at most one candidate
# triple per key (12 B), twice while it is flattened.
BYTES_PER_KEY = 16 + 2 * 12
BATCH_ROWS = 1 << 16


@dataclass(frozen=True)
class Plan:
    files: list[str]
    offsets: list[int]
    """The number of each file's first row."""
    docs: int
    num_perm: int
    threshold: float
    buckets: int
    verify_docs: int
    """How many signatures verification holds at once."""
    workdir: str


def plan(files: list, threshold: float, memory_gb: float, workdir: str | Path) -> Plan:
    """Buckets enough for one bucket's reduce to take half of `memory_gb`."""
    rows = [pq.ParquetFile(f).metadata.num_rows for f in files]
    num_perm = pq.read_schema(files[0]).field("minhash").type.list_size
    bands, _ = _native.lsh_params(threshold, num_perm)
    budget = memory_gb * 2**30 / 2
    docs = sum(rows)
    if docs >= 2**32 - 1:
        raise ValueError(f"{docs:,} documents: the grouping numbers them in 32 bits")
    return Plan(
        files=[str(f) for f in files],
        offsets=[0, *np.cumsum(rows)[:-1].tolist()],
        docs=docs,
        num_perm=num_perm,
        threshold=threshold,
        buckets=max(1, math.ceil(docs * bands * BYTES_PER_KEY / budget)),
        verify_docs=max(3, int(budget // (num_perm * 4 * 2))),
        workdir=str(workdir),
    )


def _batches(path: str, columns: list[str]) -> Iterator[tuple[int, pa.RecordBatch]]:
    """A file's record batches, each with the row number (in the file) it starts at."""
    start = 0
    file = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)
    for batch in file.iter_batches(batch_size=BATCH_ROWS, columns=columns):
        yield start, batch
        start += batch.num_rows


def _bucket_file(p: Plan, kind: str, bucket: int, file: int) -> Path:
    return Path(p.workdir, f"{kind}{bucket:05d}", f"{file:06d}.bin")


def map_file(p: Plan, i: int, withdrawn: pa.Array | None) -> None:
    """File `i`'s band keys and exact keys into the bucket files. A file is opened only to
    append a batch's part (never one per bucket at once), and the task's first write to it
    truncates, so a retried task starts its files over."""
    written: set[Path] = set()

    def append(path: Path, data: bytes | np.ndarray) -> None:
        with path.open("ab" if path in written else "wb") as f:
            f.write(data if isinstance(data, bytes) else data.tobytes())
        written.add(path)

    for start, batch in _batches(p.files[i], ["doc_id", "exact_key", "minhash"]):
        take = np.arange(batch.num_rows)
        if withdrawn is not None:
            gone = pc.is_in(batch.column("doc_id"), value_set=withdrawn)
            take = np.flatnonzero(~gone.to_numpy(zero_copy_only=False))
        docs = (p.offsets[i] + start + take).astype(np.uint32)
        sigs = _rows(batch)[take].reshape(-1)
        keys = _native.minhash_band_keys(
            pa.array(sigs), pa.array(docs), p.num_perm, p.threshold, p.buckets
        )
        for k, part in enumerate(keys):
            if part:
                append(_bucket_file(p, "b", k, i), part)
        exact = _exact_records(batch.column("exact_key").take(take), docs)
        for k, part in _split(exact, (exact["k0"] ^ exact["k1"]) % p.buckets, p.buckets):
            append(_bucket_file(p, "x", k, i), part)


def _split(rows: np.ndarray, part: np.ndarray, parts: int) -> Iterator[tuple[int, np.ndarray]]:
    """(k, the rows whose `part` is k) for each k in 0..parts that has any, in their order."""
    order = np.argsort(part, kind="stable")
    rows, part = rows[order], part[order]
    ends = np.searchsorted(part, np.arange(parts + 1))
    for k in np.flatnonzero(np.diff(ends)):
        yield int(k), rows[ends[k] : ends[k + 1]]


def _exact_records(keys: pa.FixedSizeBinaryArray, docs: np.ndarray) -> np.ndarray:
    """(k0, k1, doc) of the documents with an exact key (a null key joins nothing)."""
    if not len(keys):
        return np.empty(0, EXACT)
    words = np.frombuffer(keys.buffers()[1], "<u8", 2 * len(keys), keys.offset * 16)
    out = np.empty(len(keys), EXACT)
    out["k0"], out["k1"], out["doc"] = words[0::2], words[1::2], docs
    return out[keys.is_valid().to_numpy(zero_copy_only=False)]


def reduce_bucket(p: Plan, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Bucket `k`'s candidate triples (unique rows) and exact-copy edges (pairs)."""
    files = [_bucket_file(p, "b", k, i) for i in range(len(p.files))]
    flat = _native.minhash_bucket_candidates([str(f) for f in files if f.exists()])
    cands = flat.to_numpy(zero_copy_only=False).reshape(-1, 3)
    parts = [_bucket_file(p, "x", k, i) for i in range(len(p.files))]
    exact = np.concatenate(
        [np.empty(0, EXACT)] + [np.fromfile(f, EXACT) for f in parts if f.exists()]
    )
    exact = exact[np.lexsort((exact["doc"], exact["k1"], exact["k0"]))]
    new = np.ones(len(exact), bool)
    new[1:] = (exact["k0"][1:] != exact["k0"][:-1]) | (exact["k1"][1:] != exact["k1"][:-1])
    first = np.maximum.accumulate(np.where(new, np.arange(len(exact)), 0))
    edges = np.stack([exact["doc"][~new], exact["doc"][first[~new]]], axis=1)
    return cands, edges


def signatures_of(p: Plan, i: int, docs: np.ndarray) -> np.ndarray:
    """The signatures (flattened, row by row) of those of `docs` (sorted document numbers)
    that are in file `i`."""
    out = []
    for start, batch in _batches(p.files[i], ["minhash"]):
        lo = p.offsets[i] + start
        rows = docs[np.searchsorted(docs, lo) : np.searchsorted(docs, lo + batch.num_rows)]
        if len(rows):
            out.append(_rows(batch)[rows - lo].reshape(-1))
    return np.concatenate(out) if out else np.empty(0, np.uint32)


def _rows(batch: pa.RecordBatch) -> np.ndarray:
    """A batch's signatures as a (rows, num_perm) matrix (numpy: Arrow's take on a fixed-size
    list is ten times slower)."""
    col = batch.column("minhash")
    return col.flatten().to_numpy().reshape(len(col), col.type.list_size)


def verify(p: Plan, cands: np.ndarray, tasks: Tasks) -> np.ndarray:
    """The verified edges of candidate triples (the rule of `termnorm_core::lsh::edge`: to the
    group's first when similar enough, else to the predecessor). When the documents they name
    fit `verify_docs`, their signatures are gathered once (file by file as `tasks`) and
    compared in Rust; else each pair's signatures meet through the scratch folder (`_join`),
    two reads of the signature files however many candidates there are."""
    if not len(cands):
        return np.empty((0, 2), np.uint32)
    docs = np.unique(cands)
    if len(docs) <= p.verify_docs:
        sigs = tasks.each(signatures_of, ((p, i, docs) for i in range(len(p.files))))
        found = _native.minhash_verify(
            pa.array(cands.reshape(-1)),
            pa.array(docs),
            pa.array(np.concatenate(sigs)),
            p.num_perm,
            p.threshold,
        )
        return found.to_numpy(zero_copy_only=False).reshape(-1, 2)
    similar = _join(
        p, np.unique(np.concatenate([cands[:, [0, 1]], cands[:, [0, 2]]]), axis=0), tasks
    )
    to_first = np.isin(_pair_keys(cands[:, 0], cands[:, 1]), similar)
    to_prev = ~to_first & np.isin(_pair_keys(cands[:, 0], cands[:, 2]), similar)
    other = np.where(to_first, cands[:, 1], cands[:, 2])
    keep = to_first | to_prev
    return np.stack([cands[keep, 0], other[keep]], axis=1)


def _pair_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a.astype(np.uint64) << np.uint64(32) | b.astype(np.uint64)


def _file_of(p: Plan, docs: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(p.offsets), docs, side="right") - 1


def _join_step(p: Plan) -> int:
    """Pairs a join task holds at once: their signatures gathered, and the copies it writes."""
    return max(1, p.verify_docs // 2)


def _join_file(p: Plan, f: int) -> Path:
    """The pairs whose first document is in file `f`."""
    return Path(p.workdir, "join", f"a{f:06d}.npy")


def _sent_to(p: Plan, g: int) -> Path:
    """The folder of the pairs (with their first document's signature) sent to file `g`."""
    return Path(p.workdir, "join", f"b{g:06d}")


def _join(p: Plan, pairs: np.ndarray, tasks: Tasks) -> np.ndarray:
    """The keys (`_pair_keys`) of the (a, b) pairs whose signatures are similar enough: the
    pairs go to the file of a, which sends a's signature with each to the file of b, which
    compares it with b's."""
    Path(p.workdir, "join").mkdir()
    for g in range(len(p.files)):
        _sent_to(p, g).mkdir()
    # pairs are sorted by a, so each file's are one slice
    ends = np.searchsorted(pairs[:, 0], [*p.offsets, p.docs])
    for f in range(len(p.files)):
        if ends[f + 1] > ends[f]:
            np.save(_join_file(p, f), pairs[ends[f] : ends[f + 1]])
    files = range(len(p.files))
    tasks.each(_send_signatures, ((p, f) for f in files))
    found = tasks.each(_compare_signatures, ((p, f) for f in files))
    return np.sort(np.concatenate(found))


def _send_signatures(p: Plan, f: int) -> None:
    """The pairs whose first document is in file `f`, with its signature, to the files of their
    second (rows: a, b, a's signature), half of `verify_docs` pairs at a time."""
    if not _join_file(p, f).exists():
        return
    pairs = np.load(_join_file(p, f), mmap_mode="r")
    for k, at in enumerate(range(0, len(pairs), _join_step(p))):
        chunk = np.asarray(pairs[at : at + _join_step(p)])
        rows = np.unique(chunk[:, 0])
        sigs = signatures_of(p, f, rows).reshape(len(rows), p.num_perm)
        out = np.concatenate([chunk, sigs[np.searchsorted(rows, chunk[:, 0])]], axis=1)
        for g, part in _split(out, _file_of(p, chunk[:, 1]), len(p.files)):
            np.save(_sent_to(p, g) / f"{f:06d}-{k:06d}.npy", part)


def _compare_signatures(p: Plan, g: int) -> np.ndarray:
    """The keys of the pairs sent to file `g` whose signatures are similar enough."""
    found = [np.empty(0, np.uint64)]
    for path in sorted(_sent_to(p, g).glob("*.npy")):
        sent = np.load(path, mmap_mode="r")
        for at in range(0, len(sent), _join_step(p)):
            chunk = np.asarray(sent[at : at + _join_step(p)])
            rows = np.unique(chunk[:, 1])
            sigs = signatures_of(p, g, rows).reshape(len(rows), p.num_perm)
            same = (chunk[:, 2:] == sigs[np.searchsorted(rows, chunk[:, 1])]).sum(axis=1)
            # the share as Rust's `similarity` computes it: a count over num_perm, in f64
            keep = same / p.num_perm >= p.threshold
            found.append(_pair_keys(chunk[keep, 0], chunk[keep, 1]))
    return np.concatenate(found)


def bucketed_clusters(
    files: list,
    threshold: float,
    memory_gb: float,
    workdir: str | Path,
    withdrawn: pa.Array | None = None,
    workers: int = 1,
    engine: str = "local",
) -> tuple[np.ndarray, np.ndarray]:
    """The documents in clusters of two or more (sorted numbers over `files` in order) and
    each one's root, its cluster's first document. Memory grows with those documents, not
    with the corpus: a scratch folder under `workdir` holds the buckets (removed after). Files
    are mapped and buckets reduced `workers` at a time (`corpus.workers.Tasks`); on Ray,
    `workdir` must be a folder every node sees."""
    scratch = tempfile.mkdtemp(prefix=".grouping-", dir=workdir)
    try:
        p = plan(files, threshold, memory_gb, scratch)
        for k in range(p.buckets):
            os.mkdir(Path(scratch, f"b{k:05d}"))
            os.mkdir(Path(scratch, f"x{k:05d}"))
        if withdrawn is not None and not len(withdrawn):
            withdrawn = None
        with Tasks(workers, engine) as tasks:
            tasks.each(map_file, ((p, i, withdrawn) for i in range(len(files))))
            reduced = tasks.each(reduce_bucket, ((p, k) for k in range(p.buckets)))
            cands = np.concatenate([c for c, _ in reduced]).astype(np.uint32)
            cands = np.unique(cands, axis=0) if len(cands) else cands
            found = verify(p, cands, tasks)
        edges = np.concatenate([found, *(e for _, e in reduced)]).astype(np.uint32)
        # the union-find over the documents the edges name, renumbered in order (so each
        # cluster's smallest number is still its first document)
        rows, ends = np.unique(edges, return_inverse=True)
        ends = ends.reshape(-1, 2).astype(np.uint32)
        roots = _native.minhash_roots(len(rows), pa.array(ends[:, 0]), pa.array(ends[:, 1]))
        return rows, rows[roots.to_numpy(zero_copy_only=False)]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def doc_ids(files: list, rows: np.ndarray) -> pa.Array:
    """The doc_ids of document numbers `rows` (sorted) over `files` in order."""
    out, lo = [], 0
    for path in files:
        for _, batch in _batches(str(path), ["doc_id"]):
            hi = lo + batch.num_rows
            local = rows[np.searchsorted(rows, lo) : np.searchsorted(rows, hi)] - lo
            if len(local):
                out.append(batch.column("doc_id").take(pa.array(local)))
            lo = hi
    return pa.concat_arrays(out) if out else pa.array([], pa.string())
