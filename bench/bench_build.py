"""Full terminology build from every source in ../shared/data: wall time and peak memory.

    python bench/bench_build.py [--runs N]

Each run is a fresh subprocess so peak RSS is that build's alone. Goal (issue 2): < 60 s, < 4 GiB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import json, resource, sys, time
sys.path.insert(0, {tests!r})
from conftest import FULL_SOURCES
from ontology import Source, build
t = time.perf_counter()
m = build(sys.argv[1], [Source.parse(s) for s in FULL_SOURCES])
print(json.dumps({{"seconds": time.perf_counter() - t,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "counts": m["counts"]}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            out = subprocess.run(
                [sys.executable, "-c", CHILD.format(tests=str(ROOT / "tests")), f"{tmp}/t{i}"],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    secs = sorted(r["seconds"] for r in results)
    c = results[0]["counts"]
    print(
        f"full build: {c['concepts']:,} concepts, {c['synonyms']:,} synonyms, "
        f"{c['relations']:,} relations"
    )
    print(
        f"wall time: median {secs[len(secs) // 2]:.1f} s (min {secs[0]:.1f}, max {secs[-1]:.1f}) "
        f"over {len(secs)} runs; peak RSS {max(r['peak_rss_mib'] for r in results):,.0f} MiB"
    )
    print(json.dumps(c["concepts_by_vocab"]))


if __name__ == "__main__":
    main()
