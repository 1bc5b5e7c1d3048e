"""termnorm against medspaCy's ConText pipeline, same notes, same terms, one process, one core.

    python bench/bench_context.py --ontology DIR [--notes 300]

medspaCy (the anchor) runs its usual clinical pipeline: spaCy's English tokenizer, PyRuSH
sentence splitting, the lexicon's terms in a spaCy PhraseMatcher (on lower-cased tokens; a
TargetMatcher of 447k TargetRules does not build in reasonable time) setting `doc.ents`, then
medspaCy's ConText with its default rules. termnorm runs `Normalizer.normalize_batch`:
normalization, the same lexicon, abbreviation rule and ConText-style context.

medspaCy's pins (spacy<3.8, numpy<2 through its QuickUMLS) clash with pyarrow 2x; install it
beside a current spaCy without them:

    pip install "spacy>=3.8" && pip install --no-deps medspacy medspacy_quickumls PyRuSH \\
        && pip install pysbd==0.3.4 jsonschema PyFastNER quicksectx
"""

from __future__ import annotations

import argparse
import gzip
import time
from pathlib import Path

import orjson
import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Span
from spacy.util import filter_spans

from termnorm.normalizer import Normalizer

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT.parent / "shared" / "data" / "corpora" / "mtsamples" / "mtsamples.jsonl.gz"


def medspacy_pipeline(terms: list[str]) -> Language:
    import medspacy  # noqa: F401  (registers the medspacy_* factories)
    from loguru import logger

    logger.disable("PyRuSH")  # it logs every sentence split at DEBUG level

    nlp = spacy.blank("en")
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    for i in range(0, len(terms), 10_000):
        chunk = terms[i : i + 10_000]
        matcher.add("TERM", list(nlp.tokenizer.pipe(chunk)))

    @Language.component("lexicon_matcher")
    def lexicon_matcher(doc):
        doc.ents = filter_spans([Span(doc, s, e, label=m) for m, s, e in matcher(doc)])
        return doc

    nlp.add_pipe("medspacy_pyrush")
    nlp.add_pipe("lexicon_matcher")
    nlp.add_pipe("medspacy_context")
    return nlp


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ontology", required=True)
    ap.add_argument("--notes", type=int, default=300, help="notes for medspaCy (it is slow)")
    args = ap.parse_args()
    with gzip.open(NOTES) as f:
        texts = [t for t in (orjson.loads(line)["transcription"] or "" for line in f) if t]
    nz = Normalizer.load(args.ontology)
    engine = nz._engine
    terms = [engine.term(i) for i in range(len(engine))]

    t = time.perf_counter()
    nlp = medspacy_pipeline(terms)
    build = time.perf_counter() - t
    sample = texts[: args.notes]
    t = time.perf_counter()
    n_ms = sum(len(d.ents) for d in nlp.pipe(sample))
    t_ms = time.perf_counter() - t

    nz.normalize_batch(texts[:10])  # warm up
    t = time.perf_counter()
    table = nz.normalize_batch(texts)
    t_tn = time.perf_counter() - t
    ours_sample = nz.normalize_batch(sample)
    neg_ms = sum(e._.is_negated for d in nlp.pipe(sample[:50]) for e in d.ents)
    neg_tn = sum(r["negated"] for r in nz.normalize_batch(sample[:50]).to_pylist())

    ms_rate, tn_rate = len(sample) / t_ms, len(texts) / t_tn
    print(
        f"medspaCy (tokenizer + PyRuSH + PhraseMatcher over {len(terms):,} terms + ConText): "
        f"{ms_rate:,.1f} docs/s on {len(sample)} notes, {n_ms:,} entities "
        f"(matcher build {build:.0f} s)"
    )
    print(
        f"termnorm normalize_batch: {tn_rate:,.0f} docs/s on {len(texts):,} notes, "
        f"{table.num_rows:,} mentions ({ours_sample.num_rows:,} on the medspaCy sample)"
    )
    print(f"negated mentions in the first 50 notes: medspaCy {neg_ms}, termnorm {neg_tn}")
    print(f"ratio: {tn_rate / ms_rate:,.0f}x docs/s")


if __name__ == "__main__":
    main()
