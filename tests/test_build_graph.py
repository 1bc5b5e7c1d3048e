"""The full build from every real source, and the concept graph over it."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import SAMPLE_SOURCES

from ontology import ConceptGraph, Source, build
from ontology.info import search, summarize
from ontology.schema import SYNONYM_KINDS


def test_full_build_counts(full_terminology):
    info = summarize(full_terminology)
    by_vocab = {r["vocab"]: r["count"] for r in info["concepts_by_vocab"]}
    assert by_vocab["MESH"] >= 30_000
    assert by_vocab["HP"] >= 18_000
    assert by_vocab["DOID"] >= 12_000
    assert by_vocab["ICD10BJ"] >= 40_000
    codes = (
        pl.scan_parquet(full_terminology / "concepts.parquet")
        .filter(pl.col("semantic_types").list.contains("code"))
        .select(pl.len())
        .collect()
    )
    assert codes.item() >= 70_000
    mesh_syn = sum(r["count"] for r in info["synonyms"] if r["vocab"] == "MESH")
    assert mesh_syn >= 250_000
    zh = {r["lang"]: r["count"] for r in info["synonyms_by_lang"]}["zh"]
    assert zh >= 50_000
    syn = pl.read_parquet(full_terminology / "synonyms.parquet")
    assert syn["norm_term"].null_count() == 0
    assert set(syn["kind"]) <= set(SYNONYM_KINDS)


def test_graph_queries_on_real_data(full_terminology):
    g = ConceptGraph.load(full_terminology)
    assert "MESH:D003920" in g.ancestors("MESH:D003924")
    assert "MESH:D003924" in g.subtree("MESH:D003920")
    assert g.lowest_common_ancestors("MESH:D003924", "MESH:D003922") == {"MESH:D003920"}
    assert g.shortest_path("MESH:D003924", "MESH:D003922") == [
        "MESH:D003924",
        "MESH:D003920",
        "MESH:D003922",
    ]
    # OMIM -> DOID -> MeSH: type 1 diabetes
    assert g.xref("OMIM:222100", "DOID") == ["DOID:9744"]
    assert g.xref("OMIM:222100", "MESH") == ["MESH:D003922"]
    assert g.xref("MESH:D003924", "MESH") == ["MESH:D003924"]
    # prostate adenocarcinoma has no MeSH xref; its parent, prostate cancer, has one
    assert g.xref("DOID:2526", "MESH") == []
    assert g.xref_or_broader("DOID:2526", "MESH") == ["MESH:D011471"]
    assert g.xref_or_broader("DOID:2526", "MESH", max_levels=0) == []
    assert "ICD10BJ:E11.901" in g.descendants("ICD10BJ:E11")
    with pytest.raises(KeyError, match="not in the concept graph"):
        g.ancestors("MESH:NOPE")


def test_search_both_languages(full_terminology):
    zh = search(full_terminology, "2型糖尿病", limit=5)
    assert zh[0]["exact"] and {r["concept_id"] for r in zh} & {"HP:0005978", "ICD10BJ:E11.901"}
    en = search(full_terminology, "Type II Diabetes", vocab="MESH")
    assert en[0]["concept_id"] == "MESH:D003924"


def test_build_is_deterministic(tmp_path):
    sources = [Source.parse(s) for s in SAMPLE_SOURCES]
    build(tmp_path / "a", sources)
    build(tmp_path / "b", sources)
    for name in ("concepts.parquet", "synonyms.parquet", "relations.parquet", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_sample_build_merges_sources(sample_terminology):
    m = summarize(sample_terminology)
    assert {r["vocab"] for r in m["concepts_by_vocab"]} == {"HP", "ICD10CM"}
    syn = pl.read_parquet(sample_terminology / "synonyms.parquet")
    htn = syn.filter(pl.col("concept_id") == "HP:0000822")
    assert {"HTN", "高血压", "Hypertension"} <= set(htn["term"])
    assert set(htn.filter(pl.col("term") == "HTN")["kind"]) == {"abbreviation"}
    # the local dictionary's placeholder does not override the OBO's definition of the concept
    c = pl.read_parquet(sample_terminology / "concepts.parquet")
    assert c.filter(pl.col("concept_id") == "HP:0000822")["name"].item() == "Hypertension"
    manifest = __import__("orjson").loads((sample_terminology / "manifest.json").read_bytes())
    assert len(manifest["inputs"]) == 4
    assert all(len(f["sha256"]) == 64 for i in manifest["inputs"] for f in i["files"])


def test_graphml_export(sample_terminology, tmp_path):
    import networkx as nx

    g = ConceptGraph.load(sample_terminology)
    path = tmp_path / "g.graphml"
    g.to_graphml(path)
    back = nx.read_graphml(path)
    assert back.nodes["ICD10CM:E11.9"]["name"].startswith("Type 2 diabetes")
    assert back.has_edge("ICD10CM:E11.9", "ICD10CM:E11")


def test_derived_tables_are_kept_beside_the_terminology(sample_terminology, tmp_path):
    import shutil

    from ontology import store

    folder = tmp_path / "terminology"
    shutil.copytree(sample_terminology, folder)
    built = []

    def derive():
        built.append(1)
        return pl.DataFrame({"x": [3, 1, 2]})

    first = store.derived(folder, "t", "rules 1", derive)
    again = store.derived(folder, "t", "rules 1", derive)
    assert built == [1] and again.equals(first) and again["x"].to_list() == [3, 1, 2]
    (saved,) = folder.glob("t.*.parquet")
    saved.write_bytes(b"damaged")  # unreadable: derived and saved again
    assert store.derived(folder, "t", "rules 1", derive).equals(first) and built == [1, 1]
    store.derived(folder, "t", "rules 2", derive)  # other rules: another file, the old removed
    assert built == [1, 1, 1] and [p.name for p in folder.glob("t.*.parquet")] != [saved.name]
    assert len(list(folder.glob("t.*.parquet"))) == 1
    (folder / "manifest.json").write_bytes((folder / "manifest.json").read_bytes() + b" ")
    store.derived(folder, "t", "rules 2", derive)  # a rebuilt terminology: derived again
    assert built == [1, 1, 1, 1]
