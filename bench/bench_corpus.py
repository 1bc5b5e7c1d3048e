"""`corpus run` end to end on MTSamples with every stage on, and each stage alone, one core.

    python bench/bench_corpus.py --ontology DIR     # DIR: a full build (see bench_build.py)

Prints MB/s of note text (15.2 MB) for: the whole run in a fresh process state (lexicon, sense
inventory and fuzzy index loaded on first use), the whole run again in the same process (what
every later shard of a long run costs), and each stage on the same texts. Anchors: the Gopher
quality rules of DataTrove when it is installed (`pip install datatrove`), on the same texts.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import orjson
import pyarrow as pa
from common import NOTES, mtsamples, timed

from corpus.config import RunConfig
from corpus.readers import Fields
from corpus.runner import run
from corpus.stages import language, quality
from corpus.stages.clean import clean
from corpus.stages.normalize import mentions
from corpus.stages.phi import deidentify
from termnorm import _native


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ontology", required=True)
    args = ap.parse_args()
    texts = mtsamples()
    mb = sum(len(t.encode()) for t in texts) / 1e6
    tmp = Path(tempfile.mkdtemp())
    try:
        def whole(name: str, notes: Path = NOTES) -> float:
            cfg = RunConfig(inputs=(str(notes),), out=str(tmp / name), ontology=args.ontology,
                            fields=Fields(text="transcription"))
            dt, s = timed(lambda: run(cfg))
            print(f"  {s.records:,} records: {s.docs - s.duplicates:,} kept, "
                  f"{s.duplicates:,} duplicates, {s.rejects:,} rejects, {s.mentions:,} mentions")
            return dt

        cold = whole("cold")
        warm = min(whole(f"warm{i}") for i in range(2))
        print(f"corpus run, every stage: {mb / cold:.1f} MB/s first shard of a process, "
              f"{mb / warm:.1f} MB/s later shards ({mb:.1f} MB of notes)")
        # MTSamples files half its notes twice or more, and identical texts go through the
        # stages once: the same run over each distinct note once shows the rate without that
        distinct = list(dict.fromkeys(t for t in texts if t.strip()))
        (tmp / "distinct.jsonl").write_bytes(b"".join(
            orjson.dumps({"transcription": t}) + b"\n" for t in distinct))
        dmb = sum(len(t.encode()) for t in distinct) / 1e6
        dwarm = min(whole(f"distinct{i}", tmp / "distinct.jsonl") for i in range(2))
        print(f"corpus run over the {len(distinct):,} distinct notes ({dmb:.1f} MB): "
              f"{dmb / dwarm:.1f} MB/s later shards")
    finally:
        shutil.rmtree(tmp)

    arr = pa.array(texts, pa.large_string())
    stages = {}
    stages["clean"], cleaned = timed(lambda: clean(arr))
    stages["phi"], (deid, _) = timed(lambda: deidentify(cleaned))
    stages["quality signals"], sig = timed(lambda: quality.signals(deid))
    stages["quality filters"], _ = timed(lambda: quality.failures(sig, quality.QualityFilter()))
    stages["language"], _ = timed(lambda: language.detect(deid, sig))
    ids = pa.array([str(i) for i in range(len(texts))])
    stages["mentions"], _ = timed(lambda: mentions(ids, deid, args.ontology))
    stages["minhash"], _ = timed(lambda: _native.minhash_signatures(deid, 128, 5, 1))
    stages["exact keys"], _ = timed(lambda: _native.exact_keys(deid))
    print("stages alone (warm): " + ", ".join(f"{k} {mb / v:.0f} MB/s"
                                              for k, v in stages.items()))
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
    print(f"quality rules: DataTrove GopherQualityFilter {mb / t_dt:.1f} MB/s, termnorm "
          f"{mb / t_ours:.1f} MB/s, ratio {t_dt / t_ours:.1f}x")


if __name__ == "__main__":
    main()
