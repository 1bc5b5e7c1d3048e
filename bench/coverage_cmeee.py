"""CMeEE coverage: the share of gold entities (CBLUE CMeEE dev, 5,000 Chinese medical
sentences) that a mention the engine finds overlaps, per entity type, for each terminology
given (say a full build with and one without the Chinese sources), and `normalize_batch`'s
speed with each on CMeEE and MTSamples, side by side in this process (best of 3).

    python bench/coverage_cmeee.py --ontology out/full [--ontology out/full-no-cmekg]

Issue 19's goals: diseases >= 0.85, symptoms >= 0.70, drugs >= 0.60, body parts >= 0.50,
procedures >= 0.50. CMeKG comes from the group that made CMeEE, so report both. Also
printed: the share of mentions that overlap a gold entity (noise lowers it).
"""

from __future__ import annotations

import argparse
import gzip
import time
from collections import Counter

import orjson
import pyarrow as pa
from common import SHARED, mtsamples

from termnorm.normalizer import Normalizer

CMEEE = SHARED / "corpora" / "cblue" / "CMeEE_dev.json.gz"
TYPES = {
    "dis": "diseases",
    "sym": "symptoms",
    "dru": "drugs",
    "bod": "body parts",
    "pro": "procedures",
    "ite": "exams",
    "mic": "microbes",
    "equ": "equipment",
    "dep": "departments",
}


def coverage(folder: str, items: list[dict]) -> dict[str, float]:
    found = Normalizer.load(folder).normalize_batch(
        pa.array([it["text"] for it in items], pa.large_string())
    )
    spans: dict[int, list[tuple[int, int]]] = {}
    for d, s, e in zip(
        *(found.column(c).to_pylist() for c in ("doc", "start", "end")), strict=True
    ):
        spans.setdefault(d, []).append((s, e))
    total, hit = Counter(), Counter()
    on_gold = 0
    for i, it in enumerate(items):
        gold = [(ent["start_idx"], ent["end_idx"] + 1) for ent in it["entities"]]  # inclusive end
        for ent, (s, e) in zip(it["entities"], gold, strict=True):
            total[ent["type"]] += 1
            hit[ent["type"]] += any(a < e and b > s for a, b in spans.get(i, ()))
        on_gold += sum(any(a < e and b > s for s, e in gold) for a, b in spans.get(i, ()))
    # how many mentions overlap a gold entity: new terms that are noise lower it
    return {t: hit[t] / total[t] for t in total} | {
        "mentions on gold": on_gold / max(1, found.num_rows)
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ontology", action="append", required=True)
    args = ap.parse_args()
    items = orjson.loads(gzip.decompress(CMEEE.read_bytes()))
    results = {f: coverage(f, items) for f in args.ontology}
    texts = {
        "CMeEE": pa.array([it["text"] for it in items], pa.large_string()),
        "MTSamples": pa.array(mtsamples(), pa.large_string()),
    }
    for f in args.ontology:
        nz = Normalizer.load(f)
        for name, arr in texts.items():
            mb = sum(len(t.as_py().encode()) for t in arr) / 1e6
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                nz.normalize_batch(arr)
                best = min(best, time.perf_counter() - t0)
            results[f][f"MB/s {name}"] = mb / best
    print("type".ljust(18) + "".join(f.ljust(22) for f in args.ontology))
    for t in [*TYPES, "mentions on gold", "MB/s CMeEE", "MB/s MTSamples"]:
        if t in results[args.ontology[0]]:
            print(
                TYPES.get(t, t).ljust(18)
                + "".join(f"{results[f][t]:.3f}".ljust(22) for f in args.ontology)
            )


if __name__ == "__main__":
    main()
