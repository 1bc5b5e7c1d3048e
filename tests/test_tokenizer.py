"""Domain tokenizers trained from a real catalog (MTSamples through the corpus pipeline): the most
frequent clinical terms become single tokens without growing the vocabulary, decoding is exact,
and the report compares with the BERT vocabulary and a plain BPE. Chinese on CMeEE sentences."""

from __future__ import annotations

import gzip

import orjson
import pytest
from conftest import SHARED, mtsamples_corpus, need_shared

from modelbuild import tokenizer as tk
from modelbuild.selection import HELD_OUT, texts
from modelbuild.terms import TermCounter, name_words
from modelbuild.tokenizer_report import bert_baseline, measure, report, term_tokens

TRAIN = f"NOT ({HELD_OUT})"


@pytest.fixture(scope="module")
def catalog(full_terminology, tmp_path_factory):
    """800 real MTSamples notes through `corpus run` with the full terminology."""
    return mtsamples_corpus(
        tmp_path_factory.mktemp("corpus"), 800, full_terminology, tmp_path_factory.mktemp("mt")
    )


@pytest.fixture(scope="module")
def trained(catalog, full_terminology, tmp_path_factory):
    d = tmp_path_factory.mktemp("tok")
    ours = tk.build(catalog, d / "bpe", "bpe", 8000, TRAIN, full_terminology, 2000)
    plain = tk.build(catalog, d / "plain", "bpe", 8000, TRAIN)
    return d, ours, plain


def _held_out(catalog) -> list[str]:
    return [t for batch in texts(catalog, HELD_OUT) for t in batch]


def test_terms_become_single_tokens_without_growing_the_vocabulary(trained, catalog):
    d, ours, plain = trained
    tok = tk.load(d / "bpe")
    # the vocabulary gave back as many learned pieces as the terms took
    assert ours["terms_added"] > 100
    assert tok.get_vocab_size() == plain["vocab_size"]
    meta = orjson.loads((d / "bpe" / tk.META).read_bytes())
    counter = TermCounter(meta["terms_from"])
    counter.add([t for b in texts(catalog, TRAIN) for t in b])
    top = counter.top(300)
    lengths = term_tokens(tok, top)
    assert sum(n == 1 for n in lengths) / len(top) >= 0.97
    plain_lengths = term_tokens(tk.load(d / "plain"), top)
    assert sum(n == 1 for n in lengths) > sum(n == 1 for n in plain_lengths)
    # no stray space token: " hypertension" is one token carrying its space
    word = next(t for t, n in zip(top, lengths, strict=True) if n == 1 and len(t) > 8)
    enc = tok.encode(f"History of {word} noted.", add_special_tokens=False)
    assert f"Ġ{word}" in enc.tokens
    assert "Ġ" not in enc.tokens
    # a frequent term stays whole in a heading's capitals too, seen or not
    assert term_tokens(tok, [top[0].upper(), top[0].capitalize()]) == [1, 1]


def test_exact_round_trip_and_report_against_baselines(trained, catalog, full_terminology):
    d, _, _ = trained
    held = _held_out(catalog)
    counter = TermCounter(full_terminology)
    counter.add(held)
    r = report(d / "bpe", ["bert", str(d / "plain")], held, counter.top(1000), tops=(1000,))
    ours, bert, plain = (r["tokenizers"][k] for k in (str(d / "bpe"), "bert", str(d / "plain")))
    assert ours["round_trip"] == 1.0 and ours["unk_tokens"] == 0
    assert bert["round_trip"] < 0.1  # uncased WordPiece cannot give the text back
    # a domain vocabulary a quarter the size of BERT's still needs fewer tokens per word
    assert ours["tokens_per_word"] < bert["tokens_per_word"]
    assert bert["tokens_per_word_this_vs_baseline"] < 0
    assert ours["single_token_top1000"] > plain["single_token_top1000"]
    assert ours["tokens_per_word"] <= plain["tokens_per_word"] * 1.02


@pytest.mark.parametrize("kind", ["wordpiece", "unigram"])
def test_wordpiece_and_unigram_keep_terms_whole(kind, catalog, full_terminology, tmp_path):
    batches = list(texts(catalog, TRAIN))
    base = tk.train(batches, kind, 4000)
    words = [w for w in name_words(full_terminology, 400) if len(w) > 6][:200]
    ext, added = tk.extend(base, kind, words)
    assert ext.get_vocab_size() == base.get_vocab_size()
    assert len(added) > 50
    assert all(n == 1 for n in term_tokens(ext, added))
    assert sum(n == 1 for n in term_tokens(base, added)) == 0
    tk.save(ext, kind, tmp_path / kind, {})
    assert tk.load(tmp_path / kind).get_vocab_size() == ext.get_vocab_size()


def test_chinese_tokens_per_character_beside_bert(tmp_path):
    need_shared()
    with gzip.open(SHARED / "corpora" / "cblue" / "CMeEE_dev.json.gz") as f:
        rows = orjson.loads(f.read())
    sents = [r["text"] for r in rows]
    train, held = sents[:4000], sents[4000:]
    tok = tk.train([train[i : i + 500] for i in range(0, len(train), 500)], "bpe", 8000)
    ext, _ = tk.extend(tok, "bpe", ["糖尿病", "高血压", "冠心病"])
    ours = measure(ext, held)
    bert = measure(tk.load(bert_baseline()), held)
    assert ours["cjk_share"] > 0.5
    assert ours["round_trip"] == 1.0
    assert ours["tokens_per_char"] < 0.8 * bert["tokens_per_char"]
    assert len(ext.encode("糖尿病", add_special_tokens=False).ids) == 1


def test_bad_options_fail_clearly(catalog, tmp_path):
    with pytest.raises(ValueError, match="unknown tokenizer model"):
        tk.build(catalog, tmp_path / "x", "sentencepiece", 1000)
    with pytest.raises(ValueError, match="no documents"):
        tk.build(catalog, tmp_path / "x", "bpe", 1000, where="false")
    with pytest.raises(PermissionError, match="DROP"):
        list(texts(catalog, "true) UNION ALL SELECT 'x'; DROP VIEW docs; SELECT (1"))
    with pytest.raises(ValueError, match="bad SQL"):
        list(texts(catalog, "no_such_column = 1"))


def test_growing_a_sentencepiece_style_tokenizer_keeps_its_ids(catalog):
    """Llama-2-style tokenizers have no pre-tokenizer: the normalizer writes spaces as "▁"."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(byte_fallback=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.decoder = decoders.Sequence(
        [
            decoders.Replace("▁", " "),
            decoders.ByteFallback(),
            decoders.Fuse(),
            decoders.Strip(" ", 1, 0),
        ]
    )
    # SentencePiece learns pieces within words: train so, then run as Llama 2 does, without
    tok.pre_tokenizer = pre_tokenizers.Split("▁", behavior="merged_with_next")
    tok.train_from_iterator(
        texts(catalog, TRAIN),
        trainers.BpeTrainer(
            vocab_size=2000, special_tokens=["<unk>", "<s>", "</s>"], show_progress=False
        ),
    )
    tok.pre_tokenizer = None
    grown, added = tk.extend(tok, "bpe", ["hypertension", "cholecystectomy"], grow=True)
    old, new = tok.get_vocab(), grown.get_vocab()
    assert all(new[t] == i for t, i in old.items()) and len(new) > len(old)
    assert added
    enc = grown.encode("history of cholecystectomy", add_special_tokens=False)
    assert "▁cholecystectomy" in enc.tokens
    assert grown.decode(enc.ids) == "history of cholecystectomy"
