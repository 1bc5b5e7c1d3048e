"""PHI de-identification throughput on MTSamples, and what it replaces there.

    python bench/bench_phi.py

One Rust call over the 4,999 notes (15.2 MB), best of 3, one core; then the counts per type.
MTSamples is already de-identified (XYZ placeholders) but keeps dates, ages and doctor names,
which Safe Harbor requires removing. Recall and precision are measured on planted identifiers
in tests/test_phi.py.
"""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import orjson
import pyarrow as pa

from corpus.stages.phi import TYPES, deidentify

NOTES = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora" / "mtsamples" / \
    "mtsamples.jsonl.gz"


def main() -> None:
    with gzip.open(NOTES) as f:
        texts = pa.array([orjson.loads(line)["transcription"] or "" for line in f],
                         pa.large_string())
    mb = sum(len(t.as_py().encode()) for t in texts) / 1e6
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        _, counts = deidentify(texts)
        best = min(best, time.perf_counter() - t)
    totals = {k: sum(counts.column(k).to_pylist()) for k in TYPES}
    print(f"PHI de-identification: {mb / best:.1f} MB/s on {len(texts):,} notes ({mb:.1f} MB); "
          f"replaced: {totals}")


if __name__ == "__main__":
    main()
