"""The clean stage on real notes and on broken text."""

from __future__ import annotations

import gzip

import orjson
import pyarrow as pa
import pytest
from conftest import SHARED

from corpus.stages.clean import clean

with gzip.open(SHARED / "corpora" / "mtsamples" / "mtsamples.jsonl.gz") as f:
    NOTES = [orjson.loads(line)["transcription"] for line in f][:500]


def test_real_notes_keep_their_content_and_cleaning_is_idempotent():
    once = clean(NOTES).to_pylist()
    assert clean(once).to_pylist() == once
    for raw, c in zip(NOTES, once, strict=True):
        if raw is None:
            assert c is None
            continue
        assert "  " not in c and "\r" not in c and "\n\n\n" not in c
        visible = "".join(ch for ch in raw if ch.isprintable() or ch.isspace())
        assert c.split() == visible.split()  # only spacing and controls change


def test_mojibake_controls_and_spacing():
    got = clean(
        [
            "CafÃ© au lait\r\n\r\n\r\nnext",
            "patientâ€™s \x00pain\t\t now ",
            None,
            "naïve café",
            "e\u0301",
        ]
    ).to_pylist()
    assert got == ["Café au lait\n\nnext", "patient’s pain now", None, "naïve café", "é"]


def test_boilerplate_lines_shared_by_many_notes_go():
    from corpus.stages.clean import remove_boilerplate

    notes = [n for n in clean(NOTES).to_pylist() if n]
    footer = "This report was electronically signed by the dictating physician."
    header = "MERCY GENERAL HOSPITAL - DEPARTMENT OF MEDICINE - CONFIDENTIAL"
    texts = [f"{header}\n{n}\n{footer}" if i % 20 == 0 else n for i, n in enumerate(notes)]
    out, dropped = remove_boilerplate(texts, min_docs=10)
    out = out.to_pylist()
    marked = range(0, len(notes), 20)
    assert all(out[i] == notes[i] for i in range(len(notes)))  # exactly the planted lines go
    assert dropped.to_pylist() == [2 if i in marked else 0 for i in range(len(notes))]
    # under the threshold nothing goes; short lines (headers) never do
    few = [f"{n}\n{footer}" if i < 5 else n for i, n in enumerate(notes)]
    assert remove_boilerplate(few, min_docs=10)[0].to_pylist() == few
    heads = [f"CHIEF COMPLAINT:\n{n}" for n in notes]
    assert remove_boilerplate(heads, min_docs=2)[0].to_pylist() == heads


def test_boilerplate_over_distinct_texts_counts_their_copies():
    """Each distinct text once, with how many documents hold it: the same lines go as when
    every copy is passed (the batch runner's way)."""
    import numpy as np
    import pyarrow.compute as pc

    from corpus.stages.clean import remove_boilerplate

    notes = list(dict.fromkeys(n for n in clean(NOTES).to_pylist() if n))[:400]
    footer = "This report was electronically signed by the dictating physician."
    # 12 documents carry the footer, but only 4 distinct texts (3 copies each)
    texts = [f"{n}\n{footer}" if i < 4 else n for i, n in enumerate(notes)]
    docs = texts[:4] * 3 + texts[4:]
    enc = pc.dictionary_encode(pa.array(docs))
    copies = np.bincount(enc.indices.to_numpy(), minlength=len(enc.dictionary))
    out, dropped = remove_boilerplate(enc.dictionary, min_docs=10, copies=copies)
    every_copy = remove_boilerplate(docs, min_docs=10)
    assert out.take(enc.indices).to_pylist() == every_copy[0].to_pylist()
    assert dropped.to_pylist()[:4] == [1] * 4 and sum(dropped.to_pylist()) == 4
    # without the copies the footer is in 4 texts only: under the threshold, nothing goes
    kept, none = remove_boilerplate(enc.dictionary, min_docs=10)
    assert kept.to_pylist() == enc.dictionary.to_pylist() and not any(none.to_pylist())
    with pytest.raises(ValueError, match="copies"):
        remove_boilerplate(enc.dictionary, copies=copies[:-1])
