"""Abbreviation senses and expansion, on the full terminology (ADAM's inventory is part of it)."""

from __future__ import annotations

import gzip

import orjson
import pytest
from conftest import SHARED, need_shared

from termnorm import clinical
from termnorm.abbreviations import defined_forms, may_define
from termnorm.normalizer import Normalizer
from termnorm.senses import CONTEXT_WINDOW, SenseInventory, looks_abbreviated


@pytest.fixture(scope="module")
def nz(full_terminology):
    return Normalizer.load(full_terminology)


def test_inventory_comes_from_the_terminology(nz):
    senses = nz.senses.senses
    assert len(senses) > 10_000, "ADAM has tens of thousands of short forms"
    mi = {(long, source) for long, _, source in senses["mi"]}
    assert {("myocardial infarction", "shorthand"), ("mitral insufficiency", "inventory")} <= mi
    assert senses["mi"][0] == ("myocardial infarction", senses["mi"][0][1], "shorthand")
    assert {"emergency room", "extended release", "estrogen receptor"} <= {
        long for long, _, source in senses["er"] if source == "clinical"
    }
    assert all(a[1] >= b[1] for a, b in zip(senses["mi"], senses["mi"][1:], strict=False))


def test_sense_follows_the_document(nz):
    cardio = "Troponin rose after the MI; chest pain resolved."
    valve = "Echo: mitral regurgitation, MI graded as moderate mitral insufficiency."
    assert nz.senses.sense_at(cardio, "MI", cardio.index("MI")) == (
        "myocardial infarction",
        "shorthand",
    )
    assert nz.senses.sense_at(valve, "MI", valve.index("MI")) == (
        "mitral insufficiency",
        "inventory",
    )
    names = {m.surface: m.name.lower() for m in nz.normalize(valve).mentions}
    assert names["MI"] == "mitral valve insufficiency"
    names = {m.surface: m.name.lower() for m in nz.normalize(cardio).mentions}
    assert names["MI"] == "myocardial infarction"
    batch = nz.normalize_batch([valve, cardio]).to_pylist()
    assert [r["name"].lower() for r in batch if r["surface"] == "MI"] == [
        "mitral valve insufficiency",
        "myocardial infarction",
    ]


def test_expansion_written_into_normalized_text(nz):
    text, exps = nz.expand("Pt c/o CP and SOB, h/o MI. No DM2.")
    assert text == (
        "pt complains of chest pain and shortness of breath, history of myocardial "
        "infarction. no type 2 diabetes mellitus."
    )
    assert [(e.short, e.source) for e in exps][:2] == [("c/o", "shorthand"), ("CP", "shorthand")]
    src = "Pt c/o CP and SOB, h/o MI. No DM2."
    assert all(src[e.start : e.end] == e.short for e in exps)


def test_document_definitions_win_and_are_not_expanded_twice(nz):
    text = "Duchenne muscular dystrophy (DMD) is X-linked. DMD affects boys."
    out, exps = nz.expand(text)
    assert out == (
        "duchenne muscular dystrophy (dmd) is x-linked. duchenne muscular dystrophy affects boys."
    )
    assert [(e.short, e.source) for e in exps] == [("DMD", "document")]


def test_words_are_not_abbreviations():
    assert looks_abbreviated("MI") and looks_abbreviated("c/o") and looks_abbreviated("DM2")
    assert not looks_abbreviated("mi") and not looks_abbreviated("Echo")
    inv = SenseInventory({}, {"as": [("aortic stenosis", 5)]})
    assert inv.expand("as well as before")[1] == []
    assert inv.expand("severe AS")[0] == "severe aortic stenosis"
    assert set(clinical.shorthand()) >= {"c/o", "h/o", "s/p", "w/", "sob", "cp", "mi", "dm2", "htn"}


def test_only_words_near_the_abbreviation_choose():
    inv = SenseInventory({}, {"la": [("lupus anticoagulant", 50), ("left atrium", 10)]})
    near = "Echo: the left atrium is dilated; LA pressure 12."
    assert inv.sense_at(near, "LA", near.index("LA")) == ("left atrium", "inventory")
    far = "Left atrium normal." + " Stable." * (CONTEXT_WINDOW // 8 + 1) + " LA positive."
    assert inv.sense_at(far, "LA", far.index("LA")) == ("lupus anticoagulant", "inventory")
    assert inv.sense_at(far, "XYZ", 0) is None


def test_clinical_priors_choose_the_clinical_sense(nz):
    """The senses that clinical notes mean, not MEDLINE's: a sense that names no concept
    (patient, room air) makes no mention; one word of a rarer sense's long form is not enough,
    its long form written out nearby is."""
    cases = {
        "Sat 98% on RA.": None,
        "PT to see the patient tomorrow.": None,
        "Brought to the ER by EMS.": None,
        "No BM since Monday.": "Defecation",
        "Labs: Cr 1.2 today.": "Creatinine",
        "Left AMA yesterday.": None,
        "BMP and CBC ordered.": "Blood Cell Count",
    }
    for text, want in cases.items():
        names = [m.name for m in nz.normalize(text).mentions if m.method == "abbreviation"]
        assert names == ([want] if want else []), text
    inr = "PT/INR checked; prothrombin time prolonged, PT 18 s."
    assert [m.name for m in nz.normalize(inr).mentions if m.surface == "PT"] == [
        "Prothrombin Time"
    ] * 2


def test_saved_inventory_reads_back_the_same(full_terminology):
    derived = SenseInventory._from_terminology(full_terminology)
    for _ in range(2):  # derived and saved (unless a test before did), then read back
        inv = SenseInventory.from_terminology(full_terminology)
        assert inv.senses == derived.senses
        assert [inv.sense(i) for i in range(0, len(inv._longs), 997)] == [
            derived.sense(i) for i in range(0, len(derived._longs), 997)
        ]
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
