"""The clean stage on real notes and on broken text."""

from __future__ import annotations

import gzip

import orjson
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
    got = clean(["CafÃ© au lait\r\n\r\n\r\nnext", "patientâ€™s \x00pain\t\t now ", None,
                 "naïve café", "e\u0301"]).to_pylist()
    assert got == ["Café au lait\n\nnext", "patient’s pain now", None, "naïve café", "é"]
