"""Near-duplicates across shards at scale: 1M documents' signatures in 10 shard files, grouped
by `corpus.dedup.shard_duplicates` (what `corpus run` does after the shards), peak memory and
time.

    python bench/bench_dedup_scale.py [--docs 1000000] [--shards 10]

The signatures are synthetic (random 128-value MinHash rows, with 1% of the documents planted as
copies of earlier ones and 1% as near copies with 10 of 128 values changed, i.e. estimated Jaccard
0.92): hashing text is measured in bench_minhash.py; this measures what grows with the corpus.
Peak memory is the process's maximum resident set size, signatures files included.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpus.dedup import shard_duplicates

NUM_PERM = 128


def write_shards(folder: Path, docs: int, shards: int, seed: int = 0) -> tuple[list[Path], int]:
    rng = np.random.default_rng(seed)
    sigs = rng.integers(0, 2**32 - 1, size=(docs, NUM_PERM), dtype=np.uint32)
    n_copy = docs // 100
    src = rng.integers(0, docs // 2, size=2 * n_copy)
    dst = rng.choice(np.arange(docs // 2, docs), size=2 * n_copy, replace=False)
    sigs[dst[:n_copy]] = sigs[src[:n_copy]]
    near = sigs[src[n_copy:]].copy()
    cols = rng.integers(0, NUM_PERM, size=(n_copy, 10))
    near[np.arange(n_copy)[:, None], cols] = rng.integers(
        0, 2**32 - 1, size=(n_copy, 10), dtype=np.uint32
    )
    sigs[dst[n_copy:]] = near
    keys = np.zeros((docs, 16), np.uint8)
    keys[:, :8] = rng.integers(0, 255, size=(docs, 8), dtype=np.uint8)
    keys[dst[:n_copy]] = keys[src[:n_copy]]
    paths = []
    for k, rows in enumerate(np.array_split(np.arange(docs), shards)):
        flat = pa.array(sigs[rows].reshape(-1))
        table = pa.table(
            {
                "doc_id": pa.array([f"d{i}" for i in rows]),
                "exact_key": pa.FixedSizeBinaryArray.from_buffers(
                    pa.binary(16), len(rows), [None, pa.py_buffer(keys[rows].tobytes())]
                ),
                "minhash": pa.FixedSizeListArray.from_arrays(flat, NUM_PERM),
            }
        )
        path = folder / f"part{k:03d}.parquet"
        pq.write_table(table, path)
        paths.append(path)
    return paths, 2 * n_copy


def group(folder: Path) -> None:
    """In a fresh process: group the shard files, print duplicates, seconds, peak RSS."""
    paths = sorted(folder.glob("part*.parquet"))
    t = time.perf_counter()
    dups = shard_duplicates(paths, threshold=0.8)
    dt = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(dups.num_rows - dups.column("dup_of").null_count, dt, peak)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--shards", type=int, default=10)
    ap.add_argument("--group", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.group:
        group(args.group)
        return
    folder = Path(tempfile.mkdtemp())
    try:
        _, planted = write_shards(folder, args.docs, args.shards)
        out = subprocess.run(
            [sys.executable, __file__, "--group", str(folder)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        found, dt, peak = int(out[0]), float(out[1]), float(out[2])
        print(
            f"{args.docs:,} documents in {args.shards} shards: {found:,} duplicates found "
            f"({planted:,} planted), {dt:.1f} s, peak RSS {peak:.2f} GiB"
        )
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
