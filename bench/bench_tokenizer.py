"""The domain tokenizer against the general BERT WordPiece vocabulary and a plain HF byte-level
BPE trained on the same selection, measured on held-out documents.

English: a `termnorm corpus run` of MTSamples (its catalog), a tenth of the documents held back by
a hash of their ID, 32k vocabularies, 8,000 clinical terms kept whole. Chinese: CMeEE
sentences (4,000 to train, 1,000 held out), tokens per character.

    termnorm corpus run --input ../shared/data/corpora/mtsamples/mtsamples.jsonl.gz \\
        --out out/mtsamples --ontology out/full --id-field note_id --text-field transcription
    python bench/bench_tokenizer.py --catalog out/mtsamples --terms out/full
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
from pathlib import Path

import orjson
from tokenizers import ByteLevelBPETokenizer

from modelbuild import tokenizer as tk
from modelbuild.selection import HELD_OUT, texts
from modelbuild.terms import TermCounter
from modelbuild.tokenizer_report import bert_baseline, measure, report

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def english(catalog: str, terms: str, vocab: int, top_terms: int, tmp: Path) -> None:
    train = f"NOT ({HELD_OUT})"
    ours = tk.build(catalog, tmp / "ours", "bpe", vocab, train, terms, top_terms)
    tk.build(catalog, tmp / "noterms", "bpe", vocab, train)
    # the anchor: HF's own byte-level BPE (GPT-2 pre-tokenizer), same texts and size
    plain = ByteLevelBPETokenizer()
    plain.train_from_iterator(
        texts(catalog, train), vocab_size=vocab, min_frequency=2, show_progress=False
    )
    (tmp / "plain").mkdir()
    plain.save(str(tmp / "plain" / "tokenizer.json"))
    held = [t for b in texts(catalog, HELD_OUT) for t in b]
    counter = TermCounter(terms)
    counter.add(held)
    r = report(
        tmp / "ours", ["bert", str(tmp / "plain"), str(tmp / "noterms")], held, counter.top(5000)
    )
    print(
        f"English: {ours['documents']} training documents, {len(held)} held out, "
        f"{ours['terms_added']} terms added; {len(counter.counts())} distinct single-word "
        "mentions in the held-out tenth"
    )
    _table(
        r["tokenizers"],
        {
            str(tmp / "ours"): "termnorm",
            str(tmp / "plain"): "HF BPE",
            str(tmp / "noterms"): "no terms",
        },
    )


def chinese(vocab: int, tmp: Path) -> None:
    with gzip.open(SHARED / "corpora" / "cblue" / "CMeEE_dev.json.gz") as f:
        sents = [r["text"] for r in orjson.loads(f.read())]
    train, held = sents[:4000], sents[4000:]
    batches = [train[i : i + 500] for i in range(0, len(train), 500)]
    plain = tk.train(batches, "bpe", vocab)
    rows = {
        "termnorm": measure(plain, held),
        "bert": measure(tk.load(bert_baseline()), held),
        "wordpiece": measure(tk.train(batches, "wordpiece", vocab), held),
    }
    print(f"\nChinese (CMeEE): {len(train)} sentences to train, {len(held)} held out")
    _table(rows, {})


def _table(rows: dict, names: dict) -> None:
    keys = [
        "vocab_size",
        "tokens_per_word",
        "tokens_per_char",
        "bytes_per_token",
        "round_trip",
        "single_token_top1000",
        "single_token_top5000",
        "terms_top5000",
    ]
    cols = {names.get(k, k): v for k, v in rows.items()}
    print(f"{'':24}" + "".join(f"{c:>14}" for c in cols))
    for k in keys:
        if any(k in v for v in cols.values()):
            print(
                f"{k:24}"
                + "".join(
                    f"{v[k]:>14.4f}" if isinstance(v.get(k), float) else f"{v.get(k, ''):>14}"
                    for v in cols.values()
                )
            )
    ref = cols.get("termnorm")
    if ref:
        for c, v in cols.items():
            if c != "termnorm":
                word = ref["tokens_per_word"] / v["tokens_per_word"] - 1
                char = ref["tokens_per_char"] / v["tokens_per_char"] - 1
                print(f"termnorm vs {c}: tokens/word {word:+.1%}, tokens/char {char:+.1%}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--terms", required=True)
    ap.add_argument("--vocab-size", type=int, default=32000)
    ap.add_argument("--top-terms", type=int, default=8000)  # the CLI's default: vocabulary / 4
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        english(a.catalog, a.terms, a.vocab_size, a.top_terms, Path(tmp))
        chinese(a.vocab_size, Path(tmp))


if __name__ == "__main__":
    main()
