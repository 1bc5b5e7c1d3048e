"""The PMC JATS reader on the six real Open Access articles of ../shared/data/formats/pmc-jats:
ids, licences as the folder's README states them, the body's sections in order without the
references and citations, archives of articles, and a run selected by licence in SQL."""

from __future__ import annotations

import io
import re
import tarfile

import orjson
import pytest
from conftest import SHARED, need_shared, read_all
from lxml import etree

from corpus import catalog
from corpus.config import RunConfig
from corpus.runner import run

JATS = SHARED / "formats" / "pmc-jats"
# file -> (PMCID, licence), from the folder's README
ARTICLES = {
    "1471-2180-11-174.nxml": ("PMC3166277", "CC BY 2.0"),
    "1472-6831-8-11.nxml": ("PMC2329613", "CC BY 2.0"),
    "ehp-116-1694.nxml": ("PMC2599765", "public domain"),
    "pntd.0002065.nxml": ("PMC3585041", "CC BY"),
    "pone.0000217.nxml": ("PMC1790863", "CC BY"),
    "pone.0046493.nxml": ("PMC3460867", "CC BY"),
}


@pytest.mark.parametrize("name", sorted(ARTICLES))
def test_an_article_is_its_title_abstract_and_sections_with_its_licence(name):
    need_shared()
    fmt, (doc,), rejects = _fmt_docs(JATS / name)
    assert fmt == "jats" and not rejects
    pmcid, licence = ARTICLES[name]
    meta = orjson.loads(doc["meta"])
    assert doc["id"] == pmcid and meta["license"] == licence
    assert meta["doc_type"] == "article" and meta["date"][:2] in ("19", "20")
    root = etree.parse(str(JATS / name)).getroot()
    lines = doc["text"].split("\n")
    title = " ".join(
        "".join(root.find("front/article-meta/title-group/article-title").itertext()).split()
    )
    assert lines[0] == title
    # the body's section titles, in order, each a line of the text (those with content)
    sections = [" ".join("".join(t.itertext()).split()) for t in root.iterfind("body//sec/title")]
    found, at = 0, 0
    for s in sections:  # each after the one before
        if s in lines[at:]:
            at = lines.index(s, at) + 1
            found += 1
    assert found >= 0.8 * len(sections)
    # no reference list, no citation markers
    refs = [" ".join("".join(t.itertext()).split()) for t in root.iterfind(".//ref//article-title")]
    assert refs and not any(r in doc["text"] for r in refs if len(r) > 30)
    markers = {"".join(x.itertext()) for x in root.iterfind(".//xref[@ref-type='bibr']")}
    assert not {m for m in markers if m.startswith("[")} & set(
        re.findall(r"\[[^]]*\]", doc["text"])
    )
    assert not re.search(r"[\[(][\s,;–-]*[\])]", doc["text"])  # nor what brackets they left
    # the body's paragraphs are there: nearly all its words
    body = " ".join("".join(p.itertext()) for p in root.iterfind("body//p")).split()
    assert len(doc["text"].split()) >= 0.9 * len(body)


def test_an_archive_of_articles_gives_each_one(tmp_path):
    need_shared()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in sorted(ARTICLES):
            tar.add(JATS / name, arcname=f"oa_package/{name}")
        tar.addfile(tarfile.TarInfo("oa_package/README.txt"), io.BytesIO(b""))
    (tmp_path / "oa.tar.gz").write_bytes(buf.getvalue())
    fmt, docs, rejects = _fmt_docs(tmp_path / "oa.tar.gz")
    assert fmt == "jats" and not rejects
    assert [d["id"] for d in docs] == [ARTICLES[n][0] for n in sorted(ARTICLES)]
    assert [d["line"] for d in docs] == list(range(1, 7))
    alone = [_fmt_docs(JATS / n)[1][0]["text"] for n in sorted(ARTICLES)]
    assert [d["text"] for d in docs] == alone


def test_a_run_selects_articles_by_licence(tmp_path, sample_terminology):
    need_shared()
    out = tmp_path / "out"
    s = run(RunConfig(inputs=(str(JATS),), out=str(out), ontology=str(sample_terminology)))
    assert s.docs == 6 and s.rejects == 0
    rows = catalog.query(
        out,
        "SELECT meta->>'$.license' AS licence, count(*) AS n FROM docs "
        "WHERE dup_of IS NULL GROUP BY 1 ORDER BY 1",
    ).to_pylist()
    assert rows == [
        {"licence": "CC BY", "n": 3},
        {"licence": "CC BY 2.0", "n": 2},
        {"licence": "public domain", "n": 1},
    ]
    types = catalog.query(out, "SELECT DISTINCT doc_type, year FROM docs ORDER BY 2").to_pylist()
    assert {t["doc_type"] for t in types} == {"article"}
    assert [t["year"] for t in types] == ["2007", "2008", "2011", "2012", "2013"]


def _fmt_docs(path):
    opened, docs, rejects = read_all(path)
    return opened.format, docs, rejects
