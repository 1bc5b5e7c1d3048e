"""Abbreviation senses and expansion, on the full terminology (ADAM's inventory is part of it)."""

from __future__ import annotations

import gzip

import orjson
import pytest
from conftest import SHARED, need_shared

from termnorm.abbreviations import defined_forms, may_define
from termnorm.normalizer import Normalizer
from termnorm.senses import CONTEXT_WINDOW, SHORTHAND, SenseInventory, looks_abbreviated


@pytest.fixture(scope="module")
def nz(full_terminology):
    return Normalizer.load(full_terminology)


def test_inventory_comes_from_the_terminology(nz):
    senses = nz.senses.senses
    assert len(senses) > 10_000, "ADAM has tens of thousands of short forms"
    mi = dict(senses["mi"])
    assert "myocardial infarction" in mi and "mitral insufficiency" in mi
    assert all(a[1] >= b[1] for a, b in zip(senses["mi"], senses["mi"][1:], strict=False))


def test_sense_follows_the_document(nz):
    cardio = "Troponin rose after the MI; chest pain resolved."
    valve = "Echo: mitral regurgitation, MI graded as moderate mitral insufficiency."
    assert nz.senses.sense_at(cardio, "MI", cardio.index("MI")) == (
        "myocardial infarction", "shorthand")
    assert nz.senses.sense_at(valve, "MI", valve.index("MI")) == (
        "mitral insufficiency", "inventory")
    names = {m.surface: m.name.lower() for m in nz.normalize(valve).mentions}
    assert names["MI"] == "mitral valve insufficiency"
    names = {m.surface: m.name.lower() for m in nz.normalize(cardio).mentions}
    assert names["MI"] == "myocardial infarction"
    batch = nz.normalize_batch([valve, cardio]).to_pylist()
    assert [r["name"].lower() for r in batch if r["surface"] == "MI"] == [
        "mitral valve insufficiency", "myocardial infarction"]


def test_expansion_written_into_normalized_text(nz):
    text, exps = nz.expand("Pt c/o CP and SOB, h/o MI. No DM2.")
    assert text == ("pt complains of chest pain and shortness of breath, history of myocardial "
                    "infarction. no type 2 diabetes mellitus.")
    assert [(e.short, e.source) for e in exps][:2] == [("c/o", "shorthand"), ("CP", "shorthand")]
    src = "Pt c/o CP and SOB, h/o MI. No DM2."
    assert all(src[e.start:e.end] == e.short for e in exps)


def test_document_definitions_win_and_are_not_expanded_twice(nz):
    text = "Duchenne muscular dystrophy (DMD) is X-linked. DMD affects boys."
    out, exps = nz.expand(text)
    assert out == ("duchenne muscular dystrophy (dmd) is x-linked. duchenne muscular dystrophy "
                   "affects boys.")
    assert [(e.short, e.source) for e in exps] == [("DMD", "document")]


def test_words_are_not_abbreviations():
    assert looks_abbreviated("MI") and looks_abbreviated("c/o") and looks_abbreviated("DM2")
    assert not looks_abbreviated("mi") and not looks_abbreviated("Echo")
    inv = SenseInventory({"as": [("aortic stenosis", 5)]})
    assert inv.expand("as well as before")[1] == []
    assert inv.expand("severe AS")[0] == "severe aortic stenosis"
    assert set(SHORTHAND) >= {"c/o", "h/o", "s/p", "w/", "sob", "cp", "mi", "dm2", "htn"}


def test_only_words_near_the_abbreviation_choose():
    inv = SenseInventory({"ra": [("rheumatoid arthritis", 50), ("right atrium", 10)]})
    near = "Echo: the right atrium is dilated; RA pressure 12."
    assert inv.sense_at(near, "RA", near.index("RA")) == ("right atrium", "inventory")
    far = "Right atrium normal." + " Stable." * (CONTEXT_WINDOW // 8 + 1) + " RA flare."
    assert inv.sense_at(far, "RA", far.index("RA")) == ("rheumatoid arthritis", "inventory")
    assert inv.sense_at(far, "XYZ", 0) is None


def test_saved_inventory_reads_back_the_same(full_terminology):
    derived = SenseInventory._from_terminology(full_terminology)
    for _ in range(2):  # derived and saved (unless a test before did), then read back
        inv = SenseInventory.from_terminology(full_terminology)
        assert inv.senses == derived.senses
        assert [inv.sense(i) for i in range(0, len(inv._longs), 997)] == \
            [derived.sense(i) for i in range(0, len(derived._longs), 997)]
    assert len(list(full_terminology.glob("senses.*.parquet"))) == 1


def test_the_definition_precheck_passes_every_defined_short_form():
    """`may_define` only spares the full parse: on every MTSamples note, each short form the
    parse defines passes it; a short form no parenthesis opens on does not."""
    need_shared()
    with gzip.open(SHARED / "corpora" / "mtsamples" / "mtsamples.jsonl.gz") as f:
        notes = [orjson.loads(line)["transcription"] or "" for line in f]
    defined = [(sf, text) for text in notes for sf in defined_forms(text)]
    assert len(defined) > 100
    assert all(may_define(text, {sf}) for sf, text in defined)
    assert may_define("Duchenne muscular dystrophy ( DMD ) is X-linked.", {"dmd"})
    assert not may_define("DMD (Duchenne type) affects boys; DMD.", {"dmd"})
