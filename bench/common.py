"""What the benchmarks share: the MTSamples notes and a timer."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
NOTES = SHARED / "corpora" / "mtsamples" / "mtsamples.jsonl.gz"


def timed(fn):
    """(seconds, result) of one call."""
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def mtsamples() -> list[str]:
    """The 4,999 MTSamples transcriptions ("" where a note has none)."""
    with gzip.open(NOTES) as f:
        return [orjson.loads(line)["transcription"] or "" for line in f]
