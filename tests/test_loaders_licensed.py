"""Formats a licensed user brings (UMLS, OMOP, SNOMED CT) and NLM's MeSH XML, on small files
written in each documented layout (tests/fixtures)."""

from __future__ import annotations

import polars as pl
from conftest import FIXTURES

from ontology import ConceptGraph
from ontology.loaders import mesh_xml, omop, snomed, umls


def rels(t):
    return set(t.relations.select("src", "rel", "dst").iter_rows())


def syn(t, cid):
    return dict(t.synonyms.filter(pl.col("concept_id") == cid).select("term", "kind").iter_rows())


def test_umls_rrf():
    t = umls.load(FIXTURES / "umls")
    c = {r["concept_id"]: r for r in t.concepts.to_dicts()}
    assert c["UMLS:C0011860"]["name"] == "Diabetes Mellitus, Type 2"
    assert c["UMLS:C0011860"]["semantic_types"] == ["Disease or Syndrome"]
    s = syn(t, "UMLS:C0011860")
    assert "Diabetes Mellitus, Type II (obsolete form)" not in s, "suppressed atoms are dropped"
    assert s["2型糖尿病"] == "exact"
    assert syn(t, "UMLS:C0011849")["DM"] == "abbreviation"
    zh = t.synonyms.filter(pl.col("term") == "2型糖尿病")["lang"].to_list()
    assert zh == ["zh"]
    r = rels(t)
    assert ("UMLS:C0011860", "xref", "MESH:D003924") in r
    assert ("UMLS:C0011860", "xref", "SNOMED:44054006") in r
    assert ("UMLS:C0020538", "xref", "HP:0000822") in r
    assert ("UMLS:C0011860", "is_a", "UMLS:C0011849") in r
    assert len([x for x in r if x[1] == "is_a"]) == 1, "PAR and CHD rows are the same edge"


def test_omop_vocabulary():
    t = omop.load(FIXTURES / "omop")
    c = {r["concept_id"]: r for r in t.concepts.to_dicts()}
    assert c["OMOP:201826"]["semantic_types"] == ["Condition", "Clinical Finding"]
    assert c["OMOP:4000001"]["obsolete"] is True
    assert syn(t, "OMOP:201826")["Type II diabetes mellitus"] == "exact"
    r = rels(t)
    assert ("OMOP:201826", "is_a", "OMOP:201820") in r
    assert ("OMOP:45576876", "maps_to", "OMOP:201826") in r
    assert ("OMOP:201826", "xref", "SNOMED:44054006") in r
    assert ("OMOP:45576876", "xref", "ICD10CM:E11.9") in r


def test_snomed_rf2_snapshot():
    t = snomed.load(FIXTURES / "snomed")
    c = {r["concept_id"]: r for r in t.concepts.to_dicts()}
    assert set(c) == {"SNOMED:73211009", "SNOMED:44054006"}, "no descriptions -> no concept"
    assert c["SNOMED:44054006"]["name"] == "Type 2 diabetes mellitus"
    assert c["SNOMED:44054006"]["semantic_types"] == ["disorder"]
    s = syn(t, "SNOMED:44054006")
    assert "Type II diabetes mellitus (retired)" not in s
    assert s["Non-insulin dependent diabetes mellitus"] == "exact"
    assert rels(t) == {("SNOMED:44054006", "is_a", "SNOMED:73211009")}, "inactive is_a dropped"


def test_mesh_xml():
    t = mesh_xml.load(FIXTURES / "mesh_xml" / "desc2024-sample.xml")
    c = {r["concept_id"]: r for r in t.concepts.to_dicts()}
    assert c["MESH:D003924"]["definition"].startswith("A subclass of DIABETES MELLITUS")
    s = syn(t, "MESH:D003924")
    assert s == {
        "Diabetes Mellitus, Type 2": "preferred",
        "NIDDM": "abbreviation",
        "Type 2 Diabetes Mellitus": "exact",
        "Diabetes Mellitus, Ketosis-Resistant": "narrow",
    }
    assert rels(t) == {("MESH:D003924", "is_a", "MESH:D003920")}
    assert t.versions["mesh"] == "eng"


def test_umls_and_omop_connect_through_xrefs(tmp_path):
    from ontology import Source, build

    build(
        tmp_path / "t",
        [Source.parse(f"umls:{FIXTURES}/umls"), Source.parse(f"omop:{FIXTURES}/omop")],
    )
    g = ConceptGraph.load(tmp_path / "t")
    assert g.xref("OMOP:201826", "UMLS") == ["UMLS:C0011860"]
    assert g.xref("OMOP:201826", "MESH") == ["MESH:D003924"]
