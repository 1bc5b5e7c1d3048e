"""How many of the concept mentions the engine finds in MTSamples de-identification destroys
(a mention overlapping a span the PHI stage replaces), with the full terminology.

    python bench/bench_phi_mentions.py --ontology DIR     # DIR: a full build (bench_build.py)

The goal (issue 16): no more than 0.5% of the mentions, medical eponyms and ordinary words kept.
Prints the share and the most often destroyed surfaces, so a regression shows what it broke.
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np
import pyarrow as pa
from common import mtsamples

from corpus.stages.phi import find
from termnorm.normalizer import Normalizer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ontology", required=True)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    texts = mtsamples()
    found = Normalizer.load(args.ontology).normalize_batch(pa.array(texts, pa.large_string()))
    doc = found.column("doc").to_numpy()
    start, end = found.column("start").to_numpy(), found.column("end").to_numpy()
    surface = found.column("surface").to_pylist()
    lost = Counter()
    destroyed = 0
    order = np.argsort(doc, kind="stable")
    bounds = np.searchsorted(doc[order], np.arange(len(texts) + 1))
    for i, text in enumerate(texts):
        rows = order[bounds[i] : bounds[i + 1]]
        if not len(rows):
            continue
        spans = [(a, b) for a, b, _ in find(text)]
        for r in rows:
            if any(a < end[r] and start[r] < b for a, b in spans):
                destroyed += 1
                lost[surface[r].lower()] += 1
    print(
        f"mentions destroyed by de-identification: {destroyed:,} of {len(doc):,} "
        f"({destroyed / len(doc):.2%}); goal <= 0.5%"
    )
    print("most often:", ", ".join(f"{s} ({n})" for s, n in lost.most_common(args.top)))


if __name__ == "__main__":
    main()
