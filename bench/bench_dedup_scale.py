"""Near-duplicates across shards at scale: 1M documents' signatures in 10 shard files, grouped
by `corpus.dedup.shard_duplicates` (what `corpus run` does after the shards) in one process and
bucket by bucket within `--memory-gb`, side by side: time, peak memory, and whether the two
tables are the same.

    python bench/bench_dedup_scale.py [--docs 1000000] [--shards 10] [--memory-gb 2] [--workers 1 2]

The signatures are synthetic (random 128-value MinHash rows, with 1% of the documents planted as
copies of earlier ones and 1% as near copies with 10 of 128 values changed, i.e. estimated Jaccard
0.92): hashing text is measured in bench_minhash.py; this measures what grows with the corpus.
Each grouping runs in a fresh process; peak memory is its maximum resident set size (and its
pool workers', the largest of them, when `--workers` is above one; a worker's figure includes
what the grouping process held when it started the worker, so it is an upper bound).
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
from corpus.writers import ROW_GROUP

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
        pq.write_table(table, path, row_group_size=ROW_GROUP)  # as `corpus run` writes
        paths.append(path)
    return paths, 2 * n_copy


def group(folder: Path, memory_gb: float | None, workers: int) -> None:
    """In a fresh process: group the shard files, write the table, print duplicates, seconds,
    peak RSS of this process and of its largest worker."""
    paths = sorted(folder.glob("part*.parquet"))
    t = time.perf_counter()
    dups = shard_duplicates(paths, 0.8, memory_gb=memory_gb, workdir=folder, workers=workers)
    dt = time.perf_counter() - t
    pq.write_table(dups, folder / f"dups-{memory_gb}.parquet")
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent (this bench,
    # holding the generated signatures) across exec
    status = Path("/proc/self/status").read_text()
    peak = int(status.split("VmHWM:")[1].split()[0]) / 2**20
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    print(dups.num_rows - dups.column("dup_of").null_count, dt, peak, child)


def run(folder: Path, memory_gb: float | None, workers: int) -> tuple[int, float, float]:
    args = [sys.executable, __file__, "--group", str(folder), "--workers", str(workers)]
    if memory_gb is not None:
        args += ["--memory-gb", str(memory_gb)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout.split()
    return int(out[0]), float(out[1]), max(float(out[2]), float(out[3]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--shards", type=int, default=10)
    ap.add_argument("--memory-gb", type=float, default=2.0)
    ap.add_argument("--workers", type=int, nargs="+", default=[1])
    ap.add_argument("--group", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.group:
        group(args.group, args.memory_gb if "--memory-gb" in sys.argv else None, args.workers[0])
        return
    folder = Path(tempfile.mkdtemp())
    try:
        _, planted = write_shards(folder, args.docs, args.shards)
        print(f"{args.docs:,} documents in {args.shards} shards, {planted:,} duplicates planted")
        one = run(folder, None, 1)
        print(f"  one process: {one[0]:,} found, {one[1]:.1f} s, peak RSS {one[2]:.2f} GiB")
        # the bucketed path, even where the one-process path would fit the budget
        budget = min(args.memory_gb, args.docs * NUM_PERM * 4 * 4 / 2**30 / 2)
        for workers in args.workers:
            found, dt, peak = run(folder, budget, workers)
            same = pq.read_table(folder / "dups-None.parquet").equals(
                pq.read_table(folder / f"dups-{budget}.parquet")
            )
            print(
                f"  buckets within {budget:.2f} GiB, {workers} worker(s): {found:,} found, "
                f"{dt:.1f} s ({dt / one[1]:.2f}x), peak RSS per process {peak:.2f} GiB "
                f"({peak / one[2]:.2f}x); same table: {same}"
            )
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
