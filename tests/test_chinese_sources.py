"""Chinese sources that join the other vocabularies by evidence: CMeKG's aliases, drugs and
ICD-10 codes, CC-CEDICT's English glosses, in the full terminology (tests/conftest.py FULL_SOURCES), and everyday Chinese
clinical terms in note sentences reaching an ICD-10 or MeSH concept through them."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from conftest import TERM, need_shared

from ontology.errors import SourceError
from ontology.graph import ConceptGraph
from ontology.loaders import Source
from termnorm.normalizer import Normalizer

TERMS = Path(__file__).parent / "fixtures" / "everyday_terms_zh.tsv"


def test_cmekg_loads_attachments_from_the_real_files():
    need_shared()
    t = Source.parse(f"cmekg:{TERM}/cmekg-zh").load()
    a = t.attachments
    assert a.height > 40_000 and set(a["lang"]) == {"zh"}
    row = a.filter(pl.col("term") == "房颤").row(0, named=True)
    assert row["codes"] == ["ICD10BJ:I48", "ICD10CM:I48"]
    # a product gives its ingredient, with and without its salt, named by its English base
    drugs = set(a.filter(pl.col("own_id").is_in(["CMEKG:盐酸二甲双胍", "CMEKG:二甲双胍"]))["term"])
    assert drugs == {"盐酸二甲双胍", "二甲双胍"}
    with pytest.raises(SourceError, match="not a CMeKG folder"):
        Source.parse(f"cmekg:{TERM}/hpo-zh").load()


def test_cedict_glosses_from_the_real_file():
    need_shared()
    from ontology.loaders.cedict import glosses

    assert glosses("to have a headache") == ["headache"]
    assert glosses("liver/CL:葉|叶[ye4]/(slang) to put in long hours") == [
        "liver",
        "put in long hours",
    ]
    t = Source.parse(f"cedict:{TERM}/cc-cedict/cedict_1_0_ts_utf-8_mdbg.txt.gz").load()
    a = t.attachments
    assert a.height > 80_000 and a["own_id"].is_null().all() and t.concepts.is_empty()
    assert a.filter(pl.col("term") == "大肠杆菌")["names"].to_list() == [["Escherichia coli"]]
    assert not a["term"].str.len_chars().eq(1).any()


def test_cmeee_coverage(full_terminology):
    """The share of CMeEE dev's gold entities a mention overlaps (bench/coverage_cmeee.py)."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
    import gzip

    import orjson
    from coverage_cmeee import CMEEE, coverage

    got = coverage(str(full_terminology), orjson.loads(gzip.decompress(CMEEE.read_bytes())))
    assert got["dis"] >= 0.80 and got["dru"] >= 0.75 and got["bod"] >= 0.55, got
    assert got["mentions on gold"] >= 0.75, got


def test_terms_join_other_concepts_by_evidence(full_terminology):
    syn = pl.read_parquet(full_terminology / "synonyms.parquet")
    concepts = pl.read_parquet(full_terminology / "concepts.parquet")

    def placed(term: str) -> set[tuple[str, str]]:
        rows = syn.filter((pl.col("term") == term) & pl.col("source").str.starts_with("cmekg"))
        return set(rows.select("concept_id", "source").iter_rows())

    # the alias of its subject, on the concept under the subject's code that its name names
    assert placed("冠心病") == {("ICD10BJ:I25.105", "cmekg:code")}
    assert placed("阿司匹林") == {("MESH:D001241", "cmekg:name")}  # through "Aspirin Tablets"
    assert placed("华法林") == {("MESH:D014859", "cmekg:name")}
    # no evidence: its own concept, which exists only because it is used
    assert placed("Patau综合征") == {("CMEKG:13—三体综合征", "cmekg")}
    # an alias sharing under two characters with its subject is CMeKG's noise
    assert placed("上感") == set() and placed("结肠") == set()
    cedict = syn.filter(pl.col("source").str.starts_with("cedict"))
    assert set(cedict["source"]) == {"cedict:name"}  # only where a gloss names a concept
    assert ("MESH:D004926", "cedict:name") in set(  # Escherichia coli
        cedict.filter(pl.col("term") == "大肠杆菌").select("concept_id", "source").iter_rows()
    )
    own = concepts.filter(pl.col("vocab") == "CMEKG")["concept_id"]
    assert "CMEKG:房颤" not in own.to_list() and own.is_in(syn["concept_id"].implode()).all()


def test_the_crosswalk_links_chinese_codes_and_names(full_terminology):
    g = ConceptGraph.load(full_terminology, with_names=False)
    assert g.xref("ICD10BJ:E11.901", "ICD10CM") == ["ICD10CM:E11.9"]  # the longest prefix
    assert g.xref("ICD10BJ:I48xx01", "ICD10CM") == ["ICD10CM:I48"]
    # Beijing's own digits are no CM characters: typhoid with haemorrhage is no A01.01
    # (typhoid meningitis)
    assert g.xref("ICD10BJ:A01.010", "ICD10CM") == ["ICD10CM:A01.0"]
    assert g.xref("HP:0000518", "MESH") == ["MESH:D002386"]  # Cataract, by name
    assert g.xref_or_broader("ICD10BJ:E11.901", "MESH") == ["MESH:D003924"]
    rel = pl.read_parquet(full_terminology / "relations.parquet")
    matched = rel.filter(pl.col("source") == "name-match")
    assert matched.height > 1000
    # no link inside one vocabulary, none to a sense inventory
    vocab = pl.col("src").str.split(":").list.first()
    assert matched.filter(vocab == pl.col("dst").str.split(":").list.first()).is_empty()
    assert matched.filter(
        pl.col("dst").str.starts_with("CLINABBR") | pl.col("src").str.starts_with("ADAM")
    ).is_empty()


def test_everyday_chinese_terms_reach_icd10_or_mesh(full_terminology):
    nz = Normalizer.load(full_terminology)
    g = ConceptGraph.load(full_terminology, with_names=False)
    rows = [
        line.rstrip("\n").split("\t")
        for line in TERMS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def right(cid: str, accepted: list[str]) -> bool:
        vocab, _, code = cid.partition(":")
        return any(
            cid == a
            if a.startswith("MESH:")
            else vocab in ("ICD10BJ", "ICD10CM") and code.startswith(a)
            for a in accepted
        )

    hits = 0
    for sentence, term, accepted in rows:
        at = sentence.index(term)
        found = [
            m.concept_id
            for m in nz.normalize(sentence).mentions
            if m.start < at + len(term) and m.end > at
        ]
        reached = [
            x
            for c in found
            for x in (
                c,
                *(y for v in ("ICD10BJ", "ICD10CM", "MESH") for y in g.xref_or_broader(c, v)),
            )
        ]
        hits += any(right(c, accepted.split(",")) for c in reached)
    # without CMeKG and the crosswalk: 7 of 30; with CMeKG alone 22
    assert hits / len(rows) >= 0.90, hits


def test_gnuhealth_names_join_mesh_drugs_by_their_inn(full_terminology):
    """WHO essential medicines: a Chinese name reaches the MeSH drug its English INN names;
    a fixed-dose combination no source names keeps a concept of its own; a lab name loses its
    bracketed abbreviation."""
    from ontology.loaders.gnuhealth import load, names_of

    assert names_of("epinephrine (adrenaline)") == [
        "epinephrine (adrenaline)",
        "epinephrine",
        "adrenaline",
    ]
    tables = load(TERM / "gnuhealth-zh")
    assert "血小板计数" in set(tables.attachments["term"])  # was 血小板计数(PLT)
    # a row whose product is another medicine does not lend it its name (dapsone's row)
    terms_of = tables.attachments.group_by("own_id").agg("term")
    dapsone = [t for t in terms_of["term"] if "氨苯砜" in t]
    assert dapsone and all("氯法齐明" not in t for t in dapsone)
    # the rows of one analyte in several panels are one concept
    assert (tables.concepts["name"].str.to_lowercase() == "color").sum() == 1
    syn = pl.read_parquet(full_terminology / "synonyms.parquet").filter(
        pl.col("source").str.starts_with("gnuhealth")
    )
    on = dict(zip(syn["term"], zip(syn["concept_id"], syn["source"], strict=True), strict=True))
    assert on["氟烷"] == ("MESH:D006221", "gnuhealth:name")  # halothane
    assert on["异烟肼+利福平"][0].startswith("GNUHEALTH:")
    by_name = (syn["source"] == "gnuhealth:name").sum()
    assert by_name > 250 and by_name > 2 * (syn["source"] == "gnuhealth").sum()
    with pytest.raises(SourceError, match="who_eml_medicaments_zh.tsv is missing"):
        load(TERM / "cc-cedict")
