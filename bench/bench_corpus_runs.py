"""`corpus run` on MTSamples only (no stage-by-stage part): one cold run, then warm runs, in one
process. To compare two commits on a noisy box, run it from both checkouts in turn, several
rounds, each with its own terminology folder (lexicon formats differ between versions):

    for i in 1 2 3; do
      (cd OLD && PYTHONPATH=. python bench/bench_corpus_runs.py --ontology DIR_OLD --label old)
      python bench/bench_corpus_runs.py --ontology DIR --label new
    done
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from common import NOTES, mtsamples

from corpus.config import RunConfig
from corpus.readers import Fields
from corpus.runner import run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ontology", required=True)
    ap.add_argument("--label", default="")
    ap.add_argument("--warm", type=int, default=3)
    args = ap.parse_args()
    mb = sum(len(t.encode()) for t in mtsamples()) / 1e6
    tmp = Path(tempfile.mkdtemp())
    try:
        def once(name: str) -> float:
            cfg = RunConfig(inputs=(str(NOTES),), out=str(tmp / name), ontology=args.ontology,
                            fields=Fields(text="transcription"))
            t = time.perf_counter()
            run(cfg)
            return time.perf_counter() - t

        cold = once("cold")
        warm = [once(f"warm{i}") for i in range(args.warm)]
    finally:
        shutil.rmtree(tmp)
    print(f"{args.label}: first shard {cold:.2f} s ({mb / cold:.1f} MB/s), later shards best "
          f"{min(warm):.2f} s ({mb / min(warm):.1f} MB/s), all {[round(w, 2) for w in warm]}")


if __name__ == "__main__":
    main()
