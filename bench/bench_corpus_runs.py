"""`corpus run` on MTSamples only (no stage-by-stage part): one cold run, then warm runs, in one
process. To compare two commits on a noisy box, run it from both checkouts in turn, several
rounds, each with its own terminology folder (lexicon formats differ between versions):

    for i in 1 2 3; do
      (cd OLD && PYTHONPATH=. python bench/bench_corpus_runs.py --ontology DIR_OLD --label old)
      python bench/bench_corpus_runs.py --ontology DIR --label new
    done

`--shards N`: the run reads N shard files, each a copy of MTSamples, the
way a corpus of many shards runs: per-run work (cross-shard duplicates, catalog, report) is
shared by the shards, and the time printed is per shard (every copy is processed in full; the
copies then come out as duplicates of the first).
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
    ap.add_argument("--shards", type=int, default=1)
    args = ap.parse_args()
    mb = sum(len(t.encode()) for t in mtsamples()) / 1e6
    tmp = Path(tempfile.mkdtemp())
    inputs = [str(NOTES)]
    if args.shards > 1:
        (tmp / "in").mkdir()
        inputs = []
        for i in range(args.shards):
            inputs.append(str(tmp / "in" / f"mtsamples{i:03}.jsonl.gz"))
            shutil.copyfile(NOTES, inputs[-1])  # a link would be one file read once
    try:

        def once(name: str) -> float:
            cfg = RunConfig(
                inputs=tuple(inputs),
                out=str(tmp / name),
                ontology=args.ontology,
                fields=Fields(text="transcription"),
            )
            t = time.perf_counter()
            run(cfg)
            return (time.perf_counter() - t) / len(inputs)

        cold = once("cold")
        warm = [once(f"warm{i}") for i in range(args.warm)]
    finally:
        shutil.rmtree(tmp)
    if len(inputs) == 1:
        print(
            f"{args.label}: first shard {cold:.2f} s ({mb / cold:.1f} MB/s), later shards best "
            f"{min(warm):.2f} s ({mb / min(warm):.1f} MB/s), all {[round(w, 2) for w in warm]}"
        )
    else:
        print(
            f"{args.label}: runs of {len(inputs)} shards, time a shard: first run {cold:.2f} s "
            f"({mb / cold:.1f} MB/s), later runs best {min(warm):.2f} s "
            f"({mb / min(warm):.1f} MB/s), all {[round(w, 2) for w in warm]}"
        )


if __name__ == "__main__":
    main()
