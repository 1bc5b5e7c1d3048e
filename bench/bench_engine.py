"""The normalization engine side by side with its anchors, on the full lexicon and MTSamples.

    python bench/bench_engine.py --ontology DIR     # DIR: a full build (see bench_build.py)

1. `Normalizer.normalize_batch` (normalize + exact match + abbreviation case rule + context),
   MB/s on one core.
2. Exact matching alone: our lexicon's `find` (inside annotate) against pyahocorasick's `iter`
   over the same normalized text and the same terms (automaton built from the lexicon's terms).
3. Fuzzy `map` against rapidfuzz `process.extractOne` over the same term list, mentions/s.
"""

from __future__ import annotations

import argparse
import random
import time

import ahocorasick
import pyarrow as pa
from common import mtsamples, timed
from rapidfuzz import fuzz, process

from termnorm.normalizer import Normalizer
from termnorm.text import fold_array


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ontology", required=True)
    ap.add_argument("--mentions", type=int, default=300)
    args = ap.parse_args()
    texts = mtsamples()
    arr = pa.array(texts, pa.large_string())
    mb = sum(len(t.encode()) for t in texts) / 1e6
    nz = Normalizer.load(args.ontology)
    engine = nz._engine
    terms = [engine.term(i) for i in range(len(engine))]

    t_senses, _ = timed(lambda: nz.senses)  # loaded on first use
    t_first, _ = timed(lambda: nz.normalize_batch(arr))  # maps each abbreviation sense once
    dt, table = min(timed(lambda: nz.normalize_batch(arr)) for _ in range(5))
    print(
        f"normalize_batch: {mb / dt:.1f} MB/s best of 5 ({table.num_rows:,} mentions, "
        f"{len(texts):,} notes, {mb:.1f} MB, full lexicon of {len(terms):,} terms); first "
        f"call {mb / t_first:.1f} MB/s; sense inventory load {t_senses:.1f} s"
    )

    norm = [t.as_py() for t in fold_array(arr)]
    t_build, auto = timed(lambda: _pyahocorasick(terms))
    t_ours, _ = timed(lambda: engine.annotate_array(pa.array(norm, pa.large_string())))
    t_t0 = time.perf_counter()
    n_ac = sum(1 for t in norm for _ in auto.iter(t))
    t_ac = time.perf_counter() - t_t0
    print(
        f"exact matching: termnorm annotate (normalize+match+context) {mb / t_ours:.1f} MB/s; "
        f"pyahocorasick iter (match only, all overlapping hits: {n_ac:,}) {mb / t_ac:.1f} MB/s; "
        f"ratio {t_ac / t_ours:.2f}x (pyahocorasick build {t_build:.1f} s)"
    )

    rng = random.Random(1)
    sample = [s for s in rng.sample(terms, args.mentions * 3) if len(s) > 6][: args.mentions]
    queries = [_typo(s, rng) for s in sample]
    nz.map("warm up the fuzzy index")
    t_one, _ = timed(lambda: [nz.map(q, k=1) for q in queries])
    t_ours, ours = timed(lambda: nz.map_batch(queries, k=1))
    n_rf = max(20, args.mentions // 10)
    t_rf, _ = timed(
        lambda: [process.extractOne(q, terms, scorer=fuzz.ratio) for q in queries[:n_rf]]
    )
    hit = sum(bool(o) and o[0].term == s for o, s in zip(ours, sample, strict=True))
    print(
        f"fuzzy map: termnorm map_batch {len(queries) / t_ours:,.0f} mentions/s, "
        f"map one at a time {len(queries) / t_one:,.0f} mentions/s "
        f"(recovers the original term for {hit}/{len(queries)} one-typo queries); "
        f"rapidfuzz extractOne {n_rf / t_rf:,.1f} mentions/s; "
        f"ratio {(len(queries) / t_ours) / (n_rf / t_rf):,.0f}x"
    )


def _pyahocorasick(terms):
    a = ahocorasick.Automaton()
    for i, t in enumerate(terms):
        a.add_word(t, i)
    a.make_automaton()
    return a


def _typo(s: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(s) - 1)
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :] if s[i] != s[i + 1] else s[:i] + s[i + 1 :]


if __name__ == "__main__":
    main()
