"""The MEDLINE / PubMed reader on the real files of ../shared/data/formats/medline-xml, counted
against an independent count of the XML, and a run over baseline and update files: newer
versions and deletions withdraw the older records, MeSH headings are in the catalog."""

from __future__ import annotations

import gzip
import re
import zlib

import orjson
import pytest
from conftest import SHARED, need_shared, read_all

from corpus import catalog
from corpus.config import RunConfig
from corpus.readers import open_input, streams
from corpus.runner import run

MEDLINE = SHARED / "formats" / "medline-xml"
FILES = ("pubmed26n1334.xml.gz", "pubmed26n1335.xml.gz", "efetch-pubmed-29768149.xml")


def _xml(name: str) -> bytes:
    need_shared()
    data = (MEDLINE / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


@pytest.mark.parametrize("name", FILES)
def test_every_citation_is_read_with_its_metadata(name):
    xml = _xml(name)
    opened, docs, rejects = read_all(MEDLINE / name)
    assert opened.format == "medline"
    assert len(docs) + len(rejects) == xml.count(b"<PubmedArticle>")
    assert not rejects
    pmids = re.findall(rb"<MedlineCitation[^>]*>\s*<PMID[^>]*>(\d+)<", xml)
    assert [d["id"] for d in docs] == [p.decode() for p in pmids]
    assert all(d["doc_id"] == f"{name}#{d['id']}" for d in docs)
    metas = [orjson.loads(d["meta"]) for d in docs]
    assert all(m.get("journal") and m.get("date", "")[:2] in ("19", "20") for m in metas)
    headings = sum(len(m.get("mesh", ())) for m in metas)
    assert headings == len(re.findall(rb"<DescriptorName ", xml))
    assert opened.deleted == [
        p.decode()
        for p in re.findall(
            rb"<PMID[^>]*>(\d+)</PMID>",
            b"".join(re.findall(rb"<DeleteCitation>.*?</DeleteCitation>", xml, re.DOTALL)),
        )
    ]


def test_a_structured_abstract_keeps_its_labels_and_inline_markup():
    _, (doc,), _ = read_all(MEDLINE / "efetch-pubmed-29768149.xml")
    title, abstract = doc["text"].split("\n\n")
    assert title == "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma."
    assert [s.split(":")[0] for s in abstract.split("\n")] == [
        "BACKGROUND",
        "METHODS",
        "RESULTS",
        "CONCLUSIONS",
    ]
    assert "fast-acting β 2-agonist" in abstract  # β and <sub>2</sub>, white space collapsed
    meta = orjson.loads(doc["meta"])
    assert meta["date"] == "2018-05-17" and meta["language"] == ["eng"]
    assert {
        "ui": "D001249",
        "heading": "Asthma",
        "major": False,
        "qualifiers": [{"ui": "Q000188", "qualifier": "drug therapy", "major": True}],
    } in meta["mesh"]
    assert "Randomized Controlled Trial" in meta["publication_types"]


def test_the_update_file_deletions_and_newer_versions_withdraw_older_records(
    tmp_path, sample_terminology
):
    """An update file as NLM ships them: revised citations of the baseline and a
    DeleteCitation of others, made from the real baseline's articles."""
    base = _xml("pubmed26n1334.xml.gz")
    articles = re.findall(rb"<PubmedArticle>.*?</PubmedArticle>", base, re.DOTALL)
    pmid = [re.search(rb"<PMID[^>]*>(\d+)<", a).group(1).decode() for a in articles]
    revised = [
        articles[2].replace(b"<ArticleTitle>", b"<ArticleTitle>[Revised] ", 1),
        articles[3],
    ]  # a new version with the same text
    update = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n'
        + b"\n".join(revised)
        + b'\n<DeleteCitation><PMID Version="1">'
        + pmid[5].encode()
        + b'</PMID><PMID Version="1">'
        + pmid[6].encode()
        + b'</PMID><PMID Version="1">99999999</PMID></DeleteCitation>\n'
        b"</PubmedArticleSet>\n"
    )
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "pubmed26n1334.xml.gz").write_bytes(gzip.compress(base, mtime=0))
    (tmp_path / "in" / "pubmed26n1335.xml").write_bytes(update)
    s = run(
        RunConfig(
            inputs=(str(tmp_path / "in"),),
            out=str(tmp_path / "out"),
            ontology=str(sample_terminology),
            allow_rejects=True,
        )
    )
    assert s.withdrawn == 4 and s.duplicates == 0
    rows = catalog.query(
        tmp_path / "out",
        "SELECT doc_id, withdrawn, dup_of FROM docs WHERE withdrawn IS NOT NULL ORDER BY doc_id",
    ).to_pylist()
    old = "pubmed26n1334.xml.gz#"
    assert rows == sorted(
        [
            {
                "doc_id": old + pmid[2],
                "withdrawn": f"superseded by pubmed26n1335.xml#{pmid[2]}",
                "dup_of": None,
            },
            {
                "doc_id": old + pmid[3],
                "withdrawn": f"superseded by pubmed26n1335.xml#{pmid[3]}",
                "dup_of": None,
            },
            {"doc_id": old + pmid[5], "withdrawn": "deleted by pubmed26n1335.xml", "dup_of": None},
            {"doc_id": old + pmid[6], "withdrawn": "deleted by pubmed26n1335.xml", "dup_of": None},
        ],
        key=lambda r: r["doc_id"],
    )
    kept = catalog.query(
        tmp_path / "out", "SELECT id, source FROM docs WHERE dup_of IS NULL AND withdrawn IS NULL"
    ).to_pylist()
    # every PMID once, the newer version of the revised ones, none of the deleted
    assert sorted(r["id"] for r in kept) == sorted(set(pmid) - {pmid[5], pmid[6]})
    assert {r["source"] for r in kept if r["id"] in pmid[2:4]} == {"pubmed26n1335.xml"}


def test_mesh_headings_are_queryable_beside_the_mentions(tmp_path, full_terminology):
    out = tmp_path / "out"
    run(
        RunConfig(
            inputs=(str(MEDLINE),), out=str(out), ontology=str(full_terminology), allow_rejects=True
        )
    )
    xml = b"".join(_xml(n) for n in FILES)
    both = catalog.query(
        out,
        """
        SELECT count(*) AS headings, count(m.doc_id) AS also_found, count(c.concept_id) AS known
        FROM doc_concepts h
        LEFT JOIN (SELECT DISTINCT doc_id, concept_id FROM mentions) m USING (doc_id, concept_id)
        LEFT JOIN concepts c USING (concept_id)""",
    ).to_pylist()[0]
    assert both["headings"] == len(re.findall(rb"<DescriptorName ", xml))
    assert both["known"] == both["headings"]  # every heading's UI is a MeSH concept
    assert 0.2 * both["headings"] < both["also_found"] < both["headings"]


def test_a_cut_file_keeps_the_citations_before_the_cut(tmp_path):
    need_shared()
    data = (MEDLINE / "pubmed26n1334.xml.gz").read_bytes()
    cut = tmp_path / "cut.xml.gz"
    cut.write_bytes(data[: len(data) * 6 // 10])
    # what the cut stream still decompresses to, counted without the reader
    prefix = zlib.decompressobj(31).decompress(cut.read_bytes())
    got = 0
    with pytest.raises(streams.Damaged, match="after article"):  # the shard makes it a reject
        for table, bad in open_input(cut).batches:
            got += table.num_rows
            assert not bad
    assert got == prefix.count(b"</PubmedArticle>") > 5
