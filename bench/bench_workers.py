"""`termnorm corpus run` end to end with 1 and N workers, side by side: MTSamples in 8 shard
files, the whole command as a fresh process each time (imports, terminology, PHI rules and the
first shard's warm-up included, then grouping, catalog and report), alternating rounds.

    python bench/bench_workers.py --ontology DIR [--workers 2] [--rounds 2]

Prints each run's seconds and the speedup of N workers over one (best of the rounds), and
checks both runs wrote the same Parquet bytes.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import NOTES

SHARDS = 8


def split(folder: Path) -> None:
    with gzip.open(NOTES) as f:
        lines = f.read().splitlines(keepends=True)
    for k in range(SHARDS):
        (folder / f"part{k}.jsonl").write_bytes(b"".join(lines[k::SHARDS]))


def run(raw: Path, out: Path, ontology: str, workers: int) -> float:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "termnorm.cli", "corpus", "run", "--input", str(raw / "*.jsonl")]
    cmd += ["--out", str(out), "--ontology", ontology, "--text-field", "transcription"]
    cmd += ["--workers", str(workers)]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t


def parquet_bytes(out: Path) -> dict[str, bytes]:
    """The shards' outputs and the duplicates (the run tables hold times)."""
    files = [*sorted(out.glob("*/*.parquet")), out / "duplicates.parquet"]
    return {str(p.relative_to(out)): p.read_bytes() for p in files}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ontology", required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        raw = tmp / "raw"
        raw.mkdir()
        split(raw)
        times: dict[int, list[float]] = {1: [], args.workers: []}
        for _ in range(args.rounds):
            for w in times:
                times[w].append(run(raw, tmp / f"out{w}", args.ontology, w))
                print(f"  {w} worker(s): {times[w][-1]:.2f} s", flush=True)
        same = parquet_bytes(tmp / "out1") == parquet_bytes(tmp / f"out{args.workers}")
        one, many = min(times[1]), min(times[args.workers])
        print(
            f"{SHARDS} MTSamples shards, end to end: 1 worker {one:.2f} s, {args.workers} "
            f"workers {many:.2f} s: {one / many:.2f}x; same Parquet bytes: {same}"
        )
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
