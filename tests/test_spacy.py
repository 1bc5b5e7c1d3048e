"""The spaCy component: `nlp.add_pipe("termnorm", config={"ontology": dir})`."""

from __future__ import annotations

import pytest

spacy = pytest.importorskip("spacy")

from termnorm.normalizer import Normalizer  # noqa: E402  (after the skip)

NOTE = "CHIEF COMPLAINT: Chest pain and SOB. Denies fever. H/o HTN."


@pytest.fixture(scope="module")
def nlp(sample_terminology):
    nlp = spacy.blank("en")
    nlp.add_pipe("termnorm", config={"ontology": str(sample_terminology)})
    return nlp


def test_entities_carry_concepts_and_context(nlp, sample_terminology):
    doc = nlp(NOTE)
    got = [(e.text, e.label_, e._.negated, e._.historical, e._.method) for e in doc.ents]
    assert got == [
        ("Chest pain", "HP:0100749", False, False, "exact"),
        ("SOB", "HP:0002094", False, False, "abbreviation"),
        ("fever", "HP:0001945", True, False, "exact"),
        ("HTN", "HP:0000822", False, True, "abbreviation"),
    ]
    assert doc.ents[0]._.concept_name == "Chest pain"
    # the same mentions as the Python API, offsets included
    mentions = Normalizer.load(sample_terminology).normalize(NOTE).mentions
    assert [(s.start_char, s.end_char, s.label_) for s in doc.spans["termnorm"]] == [
        (m.start, m.end, m.concept_id) for m in mentions
    ]


def test_pipe_matches_single_calls_and_keeps_existing_entities(nlp):
    texts = ["No fever.", "Possible pneumonia.", NOTE] * 3
    piped = [
        [(e.start_char, e.end_char, e.label_) for e in d.ents]
        for d in nlp.pipe(texts, batch_size=2)
    ]
    single = [[(e.start_char, e.end_char, e.label_) for e in nlp(t).ents] for t in texts]
    assert piped == single
    doc = nlp.make_doc("Chest pain today.")
    doc.ents = [doc.char_span(0, 5, label="OTHER")]
    doc = nlp.get_pipe("termnorm")(doc)
    assert [e.label_ for e in doc.ents] == ["OTHER"], "an existing entity is not overwritten"
    assert [s.label_ for s in doc.spans["termnorm"]] == ["HP:0100749"]


def test_chinese_with_a_character_tokenizer(sample_terminology):
    nlp = spacy.blank("zh")
    nlp.add_pipe("termnorm", config={"ontology": str(sample_terminology)})
    doc = nlp("否认发热，既往高血压病史。")
    assert [(e.text, e._.negated, e._.historical) for e in doc.ents] == [
        ("发热", True, False),
        ("高血压", False, True),
    ]


def test_missing_ontology_is_a_clear_error():
    with pytest.raises(ValueError, match="ontology"):
        spacy.blank("en").add_pipe("termnorm")
