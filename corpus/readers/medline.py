"""MEDLINE / PubMed XML (`PubmedArticleSet`: baseline and update files, efetch output), plain
or compressed, parsed as a stream with lxml; `line` is the article's place in the file.

A document is a citation: its title, then its abstract (a structured abstract's sections keep
their labels, "METHODS: ..."); inline markup (<i>, <sub>) is kept as its text. Its id is the
PMID. Metadata: pmid version, status, journal, date (the issue's publication date, ISO where it
has a month), language, MeSH headings (UI, heading, major topic, qualifiers), keywords, publication
types, the first author's affiliation country, and `doc_type` "abstract" (or "title" without
one). An update file's `DeleteCitation` PMIDs go to `deleted`: the run withdraws those
citations of earlier files, as it does a citation a later file gives again (its newer version).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
from lxml import etree

from corpus.readers import streams
from corpus.readers.records import Batcher, Fields, Reject
from corpus.readers.xmltext import country, forget, text

FIELDS = Fields(id="pmid", text="text")
MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}


def read(
    path: Path, source: str, batch_size: int, deleted: list[str], skipped: Counter
) -> Iterator[tuple[pa.Table, list[Reject]]]:
    batcher = Batcher(source, FIELDS, batch_size)
    parser = etree.XMLPullParser(
        events=("end",),
        tag=("PubmedArticle", "DeleteCitation", "PubmedBookArticle"),
        resolve_entities=False,
        no_network=True,
        huge_tree=True,
    )
    no = 0
    try:
        for chunk in streams.raw(path):
            parser.feed(chunk)
            for _, el in parser.read_events():
                if el.tag == "DeleteCitation":
                    deleted.extend(text(p) for p in el.iterfind("PMID"))
                elif el.tag == "PubmedBookArticle":  # a book chapter (efetch): not read
                    skipped["PubmedBookArticle: a book, not read"] += 1
                else:
                    no += 1
                    record = citation(el)
                    # the XML only for a reject's sake
                    raw = b"" if record.get("pmid") and record.get("text") else _raw(el)
                    yield from batcher.add(no, record, raw)
                forget(el)
        parser.close()
    except (streams.Damaged, etree.XMLSyntaxError) as e:
        yield batcher.flush()
        raise streams.Damaged(f"{e} (after article {no})") from None
    yield batcher.flush()


def citation(article: etree._Element) -> dict:
    """One `PubmedArticle` as a record: `pmid`, `text` and the metadata."""
    cit = article.find("MedlineCitation")
    art = cit.find("Article") if cit is not None else None
    if art is None:
        return {}
    pmid = cit.find("PMID")
    # a title in its own language only (<ArticleTitle/> then) is the title
    title = text(art.find("ArticleTitle")) or text(art.find("VernacularTitle"))
    sections = [(s.get("Label"), text(s)) for s in art.iterfind("Abstract/AbstractText")]
    abstract = "\n".join(f"{label}: {body}" if label else body for label, body in sections if body)
    record = {
        "pmid": text(pmid) or None,
        "text": "\n\n".join(t for t in (title, abstract) if t),
        "pmid_version": pmid.get("Version") if pmid is not None else None,
        # which of two versions of a citation is the newer, whatever the files' order
        "revised": _date(cit.find("DateRevised")),
        "status": cit.get("Status"),
        "journal": text(art.find("Journal/Title")) or None,
        "date": _date(art.find("Journal/JournalIssue/PubDate")),
        "language": [text(x) for x in art.iterfind("Language")],
        "mesh": [_heading(h) for h in cit.iterfind("MeshHeadingList/MeshHeading")],
        "keywords": [text(k) for k in cit.iterfind("KeywordList/Keyword") if text(k)],
        "publication_types": [text(t) for t in art.iterfind("PublicationTypeList/PublicationType")],
        "country": country(text(art.find("AuthorList/Author/AffiliationInfo/Affiliation"))),
        "doc_type": "abstract" if abstract else "title",
    }
    return {k: v for k, v in record.items() if v not in (None, [])}


def _heading(h: etree._Element) -> dict:
    d = h.find("DescriptorName")
    out = {"ui": d.get("UI"), "heading": text(d), "major": d.get("MajorTopicYN") == "Y"}
    quals = [
        {"ui": q.get("UI"), "qualifier": text(q), "major": q.get("MajorTopicYN") == "Y"}
        for q in h.iterfind("QualifierName")
    ]
    return {**out, "qualifiers": quals} if quals else out


def _date(pub: etree._Element | None) -> str | None:
    """YYYY-MM-DD, YYYY-MM or YYYY; a `MedlineDate` ("1998 Dec-1999 Jan") as written."""
    if pub is None:
        return None
    year = text(pub.find("Year"))
    if not year:
        return text(pub.find("MedlineDate")) or None
    month = text(pub.find("Month")).lower()[:3]
    m = MONTHS.get(month) or (int(month) if month.isdigit() else None)
    if not m:
        return year
    day = text(pub.find("Day"))
    return f"{year}-{m:02}-{int(day):02}" if day.isdigit() else f"{year}-{m:02}"


def _raw(el: etree._Element) -> bytes:
    return etree.tostring(el)[:40_000]
