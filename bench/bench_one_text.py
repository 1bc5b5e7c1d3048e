"""`Normalizer.normalize` one short text at a time (the API a notebook, the spaCy component and
`map`'s partial matching use), as texts per second. To compare two commits, run it from each
checkout in turn, each with its own terminology folder:

    python bench/bench_one_text.py --ontology out/full
"""

from __future__ import annotations

import argparse
import time

from termnorm.normalizer import Normalizer

TEXTS = [
    "Denies chest pain. H/o HTN.",
    "Pt has CAD, DM2 and COPD; SOB on exertion.",
    "否认冠心病史，既往高血压病3级。",
    "No fever.",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ontology", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    nz = Normalizer.load(args.ontology)
    texts = TEXTS * 500
    nz.normalize(texts[0])  # senses and names loaded
    best = float("inf")
    for _ in range(args.rounds):
        t = time.perf_counter()
        for x in texts:
            nz.normalize(x)
        best = min(best, time.perf_counter() - t)
    print(f"Normalizer.normalize: {len(texts) / best:,.0f} texts/s (best of {args.rounds})")


if __name__ == "__main__":
    main()
