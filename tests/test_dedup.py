"""MinHash signatures and near-duplicate clusters on real notes (MTSamples)."""

from __future__ import annotations

import gzip
import random
import re

import numpy as np
import orjson
import pyarrow as pa
import pytest
from conftest import SHARED

from corpus.dedup import clusters, exact_duplicates, near_duplicates
from corpus.minhash import signatures, similarity
from termnorm.text import fold_array

with gzip.open(SHARED / "corpora" / "mtsamples" / "mtsamples.jsonl.gz") as f:
    NOTES = [t for t in (orjson.loads(line)["transcription"] or "" for line in f) if t][:1500]


def shingles(text: str, n: int = 5) -> set[str]:
    w = re.findall(r"[a-z0-9]+", text.lower())
    return {" ".join(w[i : i + n]) for i in range(len(w) - n + 1)}


def test_signatures_are_deterministic_and_estimate_jaccard():
    sigs = signatures(NOTES[:200])
    assert sigs.shape == (200, 128) and sigs.dtype == np.uint32
    assert np.array_equal(sigs, signatures(pa.array(NOTES[:200], pa.large_string())))
    assert not np.array_equal(sigs, signatures(NOTES[:200], seed=2))
    rng = random.Random(0)
    for i in rng.sample([i for i in range(200) if len(NOTES[i].split()) > 100], 20):
        words = NOTES[i].split()
        cut = " ".join(words[: int(len(words) * 0.85)])  # a truncated copy
        exact = len(shingles(NOTES[i]) & shingles(cut)) / len(shingles(NOTES[i]) | shingles(cut))
        est = similarity(sigs[i], signatures([cut])[0])
        assert abs(est - exact) < 0.15, (i, est, exact)
    empty = signatures(["", None, "!!!"])
    assert (empty == np.iinfo(np.uint32).max).all()


def test_near_duplicates_find_edited_copies_and_keep_the_first():
    rng = random.Random(1)
    picks = rng.sample(range(len(NOTES)), 60)
    copies = []
    for i in picks:
        words = NOTES[i].split()
        j = rng.randrange(len(words))
        copies.append(" ".join(words[:j] + ["reportedly"] + words[j + 1 :]))  # one word changed
    ids = near_duplicates(NOTES + copies, threshold=0.8)
    assert len(ids) == len(NOTES) + 60
    for k, i in enumerate(picks):
        if len(shingles(NOTES[i])) >= 40:  # one edit in a long note keeps Jaccard >= 0.8
            assert ids[len(NOTES) + k] == ids[i] <= i
    # a cluster's ID is its smallest member; unrelated notes are not merged wholesale
    for c in set(ids.tolist()):
        assert ids[c] == c
    assert len(set(ids.tolist())) > 0.9 * len(NOTES)
    assert np.array_equal(ids, clusters(signatures(NOTES + copies), 0.8))


def test_chinese_uses_character_ngrams():
    a, b, c = signatures(
        [
            "患者因反复胸痛三天入院，既往高血压病史十年。",
            "患者因反复胸痛三天入院，既往高血压病史九年。",
            "右股骨颈骨折术后复查，切口愈合良好。",
        ],
        ngram=3,
    )
    assert similarity(a, b) > 0.6 and similarity(a, c) < 0.2


def test_bad_parameters_are_errors():
    with pytest.raises(ValueError, match="positive"):
        signatures(["x"], num_perm=0)
    with pytest.raises(ValueError, match="threshold"):
        clusters(signatures(["a b c"]), threshold=1.5)
    with pytest.raises(TypeError, match="string array"):
        signatures(pa.array([1, 2]))


def test_exact_duplicates_match_a_dictionary_of_normalized_texts():
    with gzip.open(SHARED / "corpora" / "mtsamples" / "mtsamples.jsonl.gz") as f:
        texts = [orjson.loads(line)["transcription"] for line in f]
    ids = exact_duplicates(texts)
    first: dict[str, int] = {}
    want = [
        i if t is None else first.setdefault(t, i)
        for i, t in enumerate(fold_array(texts).to_pylist())
    ]
    assert ids.tolist() == want
    assert (ids != np.arange(len(texts))).sum() > 100, (
        "MTSamples files notes under several specialties"
    )
    assert exact_duplicates(["Chest  PAIN.", "chest pain.", None, None]).tolist() == [0, 0, 2, 3]


def test_raw_text_digests_are_sha256():
    """`raw_sha256` of a document: the SHA-256 of its raw text's UTF-8 bytes, as hashlib gives."""
    import hashlib

    from termnorm import _native

    texts = [*NOTES[:300], "高血压病史", "naïve café", "", None]
    want = [None if t is None else hashlib.sha256(t.encode()).hexdigest() for t in texts]
    assert _native.sha256_hex(pa.array(texts)).to_pylist() == want
    assert _native.sha256_hex(pa.array(texts, pa.large_string())).to_pylist() == want
