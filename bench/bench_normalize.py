"""Text normalization throughput: the Rust normalizer (one Arrow batch) against the same steps
in pure Python (unicodedata NFKC + str.lower + str.translate + a whitespace regex, i.e. what a
user would write without termnorm; it keeps no offset map, ours does), side by side on the
MTSamples notes.

    python bench/bench_normalize.py [--repeat N]
"""

from __future__ import annotations

import argparse
import gzip
import re
import time
import unicodedata
from pathlib import Path

import orjson
import pyarrow as pa

import termnorm

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT.parent / "shared" / "data" / "corpora" / "mtsamples" / "mtsamples.jsonl.gz"
PUNCT = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2044": "/",
        "\u00ad": None,
        "\u200b": None,
    }
)
SPACE = re.compile(r"\s+")


def python_normalize(s: str) -> str:
    return SPACE.sub(" ", unicodedata.normalize("NFKC", s).lower().translate(PUNCT)).strip()


def best_interleaved(fns: list, repeat: int) -> list[float]:
    """Best time of each function, the functions taking turns so noise hits them alike."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with gzip.open(NOTES) as f:
        texts = [orjson.loads(line)["transcription"] or "" for line in f]
    arr = pa.array(texts, pa.large_string())
    mb = sum(len(t.encode()) for t in texts) / 1e6
    ours, ours_off, base = best_interleaved(
        [
            lambda: termnorm.fold_array(arr),
            lambda: termnorm.fold_array(arr, offsets=True),
            lambda: [python_normalize(t) for t in texts],
        ],
        args.repeat,
    )
    agree = sum(
        a == b
        for a, b in zip(
            termnorm.fold_array(arr).to_pylist(),
            (python_normalize(t) for t in texts),
            strict=True,
        )
    )
    print(f"MTSamples: {len(texts):,} notes, {mb:.1f} MB (single thread)")
    print(f"termnorm fold_array:                   {mb / ours:7.1f} MB/s")
    print(f"termnorm fold_array(offsets=True): {mb / ours_off:7.1f} MB/s")
    print(f"pure Python NFKC+lower+translate+regex: {mb / base:7.1f} MB/s")
    print(
        f"ratio termnorm / Python: {base / ours:.2f}x (with offsets {base / ours_off:.2f}x); "
        f"identical output on {agree}/{len(texts)} notes"
    )


if __name__ == "__main__":
    main()
