"""`corpus run` end to end on MTSamples with every stage on, and each stage alone, one core.

    python bench/bench_corpus.py --ontology DIR     # DIR: a full build (see bench_build.py)

Prints MB/s of note text (15.2 MB) for: the whole run in a fresh process state (lexicon, sense
inventory and fuzzy index loaded on first use), the whole run again in the same process (what
every later shard of a long run costs), and the time of each stage in such a run. Anchors: the Gopher
quality rules of DataTrove when it is installed (`pip install datatrove`), on the same texts.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import orjson
import pyarrow as pa
from common import NOTES, mtsamples, timed

from corpus import pipeline
from corpus.config import RunConfig
from corpus.readers import Fields, read
from corpus.runner import run
from corpus.stages import quality


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ontology", required=True)
    args = ap.parse_args()
    texts = mtsamples()
    mb = sum(len(t.encode()) for t in texts) / 1e6
    tmp = Path(tempfile.mkdtemp())
    try:

        def whole(name: str, notes: Path = NOTES) -> float:
            cfg = RunConfig(
                inputs=(str(notes),),
                out=str(tmp / name),
                ontology=args.ontology,
                fields=Fields(text="transcription"),
            )
            dt, s = timed(lambda: run(cfg))
            print(
                f"  {s.records:,} records: {s.docs - s.duplicates:,} kept, "
                f"{s.duplicates:,} duplicates, {s.rejects:,} rejects, {s.mentions:,} mentions"
            )
            return dt

        cold = whole("cold")
        warm = min(whole(f"warm{i}") for i in range(2))
        print(
            f"corpus run, every stage: {mb / cold:.1f} MB/s first shard of a process, "
            f"{mb / warm:.1f} MB/s later shards ({mb:.1f} MB of notes)"
        )
        # MTSamples files half its notes twice or more, and identical texts go through the
        # stages once: the same run over each distinct note once shows the rate without that
        distinct = list(dict.fromkeys(t for t in texts if t.strip()))
        (tmp / "distinct.jsonl").write_bytes(
            b"".join(orjson.dumps({"transcription": t}) + b"\n" for t in distinct)
        )
        dmb = sum(len(t.encode()) for t in distinct) / 1e6
        dwarm = min(whole(f"distinct{i}", tmp / "distinct.jsonl") for i in range(2))
        print(
            f"corpus run over the {len(distinct):,} distinct notes ({dmb:.1f} MB): "
            f"{dmb / dwarm:.1f} MB/s later shards"
        )
    finally:
        shutil.rmtree(tmp)

    # the stages as a run does them, over the reader's batches of the same file
    cfg = RunConfig(
        inputs=(str(NOTES),),
        out=str(tmp),
        ontology=args.ontology,
        fields=Fields(text="transcription"),
    )
    stages = pipeline.stages(cfg)
    times: Counter = Counter()
    for _ in range(2):  # the first round loads the lexicons
        times.clear()
        t = time.perf_counter()
        for records, _bad in read(NOTES, cfg.fields, cfg.batch_size):
            pipeline.run(records, stages, times)
        total = time.perf_counter() - t
    print(
        f"stages in a run (warm, {total:.2f} s with the reader): "
        + ", ".join(f"{k} {v:.3f} s ({mb / v:.0f} MB/s)" for k, v in times.items())
    )
    arr = pa.array(texts, pa.large_string())
    try:
        from datatrove.data import Document
        from datatrove.pipeline.filters import GopherQualityFilter
    except ImportError:
        print("DataTrove not installed: no anchor for the quality rules")
        return
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]
    gopher = GopherQualityFilter()
    t_dt, _ = timed(lambda: [gopher.filter(d) for d in docs])
    t_ours, _ = timed(lambda: quality.failures(quality.signals(arr), quality.QualityFilter()))
    print(
        f"quality rules: DataTrove GopherQualityFilter {mb / t_dt:.1f} MB/s, termnorm "
        f"{mb / t_ours:.1f} MB/s, ratio {t_dt / t_ours:.1f}x"
    )


if __name__ == "__main__":
    main()
