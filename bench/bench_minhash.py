"""MinHash signatures and near-duplicate quality, against datasketch and rensa.

    python bench/bench_minhash.py [--anchor-docs 400] [--edited 600]

1. Speed: 128 permutations over word 5-gram shingles of the MTSamples notes. termnorm goes from
   raw text to signatures in one Rust call; the anchors get the same lower-cased word 5-grams,
   built in Python (as their users must), timed with them: datasketch `MinHash.bulk` and rensa
   `RMinHash`. MB/s on one core and ratios.
2. Quality: MTSamples plus copies with random word edits; the truth is every pair with exact
   Jaccard >= 0.8 over word 5-gram sets (found exactly with prefix filtering, then verified);
   termnorm's `near_duplicates(threshold=0.8)` clusters are scored on pairs: precision and
   recall.
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

import orjson
from datasketch import MinHash
from rensa import RMinHash

from corpus.dedup import near_duplicates
from corpus.minhash import signatures

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT.parent / "shared" / "data" / "corpora" / "mtsamples" / "mtsamples.jsonl.gz"
WORD = re.compile(r"[a-z0-9]+")


def shingles(text: str, n: int = 5) -> list[str]:
    words = WORD.findall(text.lower())
    if len(words) < n:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


def best_of(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def edit(text: str, rng: random.Random, rate: float) -> str:
    words = text.split()
    for _ in range(max(1, int(len(words) * rate))):
        i = rng.randrange(len(words))
        if rng.random() < 0.5:
            words[i] = rng.choice(["patient", "left", "right", "noted", "was", "the"])
        else:
            del words[i]
            if not words:
                break
    return " ".join(words)


def true_pairs(sets: list[set[str]], t: float) -> set[tuple[int, int]]:
    """Every pair with Jaccard >= t, exactly: pairs at t share one of each set's first
    floor((1 - t)|A|) + 1 shingles in a global rare-first order (prefix filtering)."""
    freq = Counter(s for st in sets for s in st)
    index: dict[str, list[int]] = defaultdict(list)
    for i, st in enumerate(sets):
        order = sorted(st, key=lambda s: (freq[s], s))
        for s in order[: int((1 - t) * len(order)) + 1]:
            index[s].append(i)
    cands = {(a, b) for ids in index.values() for a, b in combinations(sorted(set(ids)), 2)}
    return {
        (a, b) for a, b in cands if sets[a] and len(sets[a] & sets[b]) / len(sets[a] | sets[b]) >= t
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--anchor-docs", type=int, default=400)
    ap.add_argument("--edited", type=int, default=600)
    args = ap.parse_args()
    with gzip.open(NOTES) as f:
        texts = [t for t in (orjson.loads(line)["transcription"] or "" for line in f) if t]
    mb = sum(len(t.encode()) for t in texts) / 1e6

    t_ours = best_of(lambda: signatures(texts))
    sub = texts[: args.anchor_docs]
    sub_mb = sum(len(t.encode()) for t in sub) / 1e6

    def datasketch_run():
        MinHash.bulk([[s.encode() for s in shingles(t)] for t in sub], num_perm=128, seed=1)

    def rensa_run():
        for t in sub:
            m = RMinHash(num_perm=128, seed=1)
            m.update(shingles(t))
            m.digest()

    t_ds, t_rs = best_of(datasketch_run, 1), best_of(rensa_run)
    ours, ds, rs = mb / t_ours, sub_mb / t_ds, sub_mb / t_rs
    print(
        f"signatures (128 perms, word 5-grams): termnorm {ours:.1f} MB/s on {len(texts):,} "
        f"notes ({mb:.1f} MB); datasketch MinHash.bulk {ds:.2f} MB/s, rensa RMinHash "
        f"{rs:.1f} MB/s on {len(sub)} notes; ratios {ours / ds:.0f}x datasketch, "
        f"{ours / rs:.1f}x rensa"
    )

    rng = random.Random(1)
    picks = rng.sample(range(len(texts)), args.edited)
    corpus = texts + [edit(texts[i], rng, rng.choice([0.02, 0.05, 0.1])) for i in picks]
    t = time.perf_counter()
    ids = near_duplicates(corpus, threshold=0.8)
    t_dedup = time.perf_counter() - t
    members: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(ids):
        members[int(c)].append(i)
    pred = {p for m in members.values() for p in combinations(m, 2)}
    truth = true_pairs([set(shingles(x)) for x in corpus], 0.8)
    tp = len(pred & truth)
    print(
        f"near-duplicates at Jaccard 0.8 on {len(corpus):,} texts ({len(texts):,} MTSamples "
        f"+ {args.edited} edited copies), {t_dedup:.1f} s: {len(truth):,} true pairs, "
        f"{len(pred):,} predicted; precision {tp / max(1, len(pred)):.3f}, recall "
        f"{tp / max(1, len(truth)):.3f}"
    )


if __name__ == "__main__":
    main()
