"""PHI de-identification throughput on MTSamples, side by side: the whole recognizer (rules
plus the word-level name and place pass) against the regex rules alone, in one process.

    python bench/bench_phi.py [--rounds 5]

One Rust call over the 4,999 notes (15.2 MB), one core, the two taking turns; best round each.
MTSamples is already de-identified (XYZ placeholders) but keeps dates, ages and doctor names,
which Safe Harbor requires removing. Recall and precision: `termnorm phi eval --data FILE` on
tests/fixtures/phi/*.txt (tests/test_phi_notes.py).
"""

from __future__ import annotations

import argparse
import time

import pyarrow as pa
from common import mtsamples

from corpus.stages.phi import TYPES, deidentifier
from termnorm import _native


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    texts = pa.array(mtsamples(), pa.large_string())
    mb = sum(len(t.as_py().encode()) for t in texts) / 1e6
    t = time.perf_counter()
    full = deidentifier()
    print(
        f"recognizer built (word lists from the cache or the packages): "
        f"{time.perf_counter() - t:.2f} s"
    )
    rules = _native.Deidentifier()
    best = {"full": float("inf"), "rules": float("inf")}
    counts = None
    for _ in range(args.rounds):
        for name, d in (("full", full), ("rules", rules)):
            t = time.perf_counter()
            _, c = d.deidentify_array(texts)
            best[name] = min(best[name], time.perf_counter() - t)
            if name == "full":
                counts = pa.Table.from_struct_array(c)
    totals = {k: sum(counts.column(k).to_pylist()) for k in TYPES}
    print(
        f"PHI, rules + names and places: {mb / best['full']:.1f} MB/s; regex rules alone: "
        f"{mb / best['rules']:.1f} MB/s; ratio {best['rules'] / best['full']:.2f} "
        f"({len(texts):,} notes, {mb:.1f} MB, best of {args.rounds})"
    )
    print(f"replaced: {totals}")


if __name__ == "__main__":
    main()
