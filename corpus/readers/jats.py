"""PMC full-text articles in JATS XML: one `.nxml` file (plain or compressed), or a tar archive
of them (`.tar.gz`, `.tgz`, `.tar`: PMC's Open Access packages), read member by member; `line`
is the article's place in the archive (1 for a lone file).

The text: the title, the abstract, then the body's sections in order, each headed by its title,
with figure and table captions where they stand; citations ("[12]"), formulas, tables' cells,
supplementary material and the back matter (references, acknowledgements) are left out. The id
is the PMC id ("PMC3460867"). Metadata: pmid, doi, journal, date (the electronic, else print,
publication date), article type, keywords, subjects, the first affiliation's country, `doc_type`
"article", and the article's licence (`license`: "CC BY 4.0", "CC BY-NC 3.0", "CC0", "public
domain"; `license_url` as written), so a corpus can keep only what it may use.
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
from lxml import etree

from corpus.readers import streams
from corpus.readers.records import Batcher, Fields, Reject
from corpus.readers.xmltext import country, text

FIELDS = Fields(id="pmcid", text="text")
ARCHIVES = (".tar.gz", ".tgz", ".tar", ".tar.zst")
XLINK = "{http://www.w3.org/1999/xlink}href"
MATHML = "{http://www.w3.org/1998/Math/MathML}"
# not prose: left out of the text (with the text inside), what follows them kept
LEFT_OUT = {
    "disp-formula",
    "inline-formula",
    "tex-math",
    "supplementary-material",
    "table",
    "graphic",
    "media",
    "alternatives",
    "object-id",
    "ref-list",
    "fn-group",
}


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVES)


def read(path: Path, source: str, batch_size: int) -> Iterator[tuple[pa.Table, list[Reject]]]:
    batcher = Batcher(source, FIELDS, batch_size)
    no = 0
    try:
        for name, data in _members(path):
            try:
                root = etree.fromstring(data, _parser())
            except etree.XMLSyntaxError as e:
                no += 1
                batcher.rejects.append(Reject(source, no, f"bad XML in {name}: {e}", ""))
                continue
            # one <article>, or a set of them (efetch's <pmc-articleset>)
            for art in [root] if root.tag == "article" else root.iterfind(".//article"):
                no += 1
                record = article(art)
                yield from batcher.add(no, record, b"" if record.get("text") else data[:40_000])
    except (tarfile.TarError, streams.Damaged, OSError) as e:
        yield batcher.flush()  # the articles before the damage stay
        raise streams.Damaged(f"{e} (after article {no})") from None
    yield batcher.flush()


def _members(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of each article: the file itself, or the archive's `.nxml`/`.xml` members
    in the order stored."""
    if not is_archive(path):
        yield path.name, b"".join(streams.raw(path))
        return
    with tarfile.open(fileobj=streams.Reader(path), mode="r|") as tar:
        for member in tar:
            if member.isfile() and member.name.lower().endswith((".nxml", ".xml")):
                f = tar.extractfile(member)
                if f is not None:
                    yield member.name, f.read()


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True, recover=False
    )


def _skip(el: etree._Element) -> bool:
    tag = el.tag
    return (
        tag in LEFT_OUT
        or tag.startswith(MATHML)
        or (tag == "xref" and el.get("ref-type") == "bibr")
    )


# what citations leave behind once their numbers are out: "[,,]", "( )", "[–]"
_EMPTY_BRACKETS = re.compile(r"\s*(?:\[[\s,;–-]*\]|\([\s,;–-]*\))")


def _prose(el: etree._Element | None) -> str:
    return _EMPTY_BRACKETS.sub("", text(el, _skip))


def article(root: etree._Element) -> dict:
    meta = root.find("front/article-meta")
    if meta is None:
        return {}
    ids = {a.get("pub-id-type"): text(a) for a in meta.iterfind("article-id")}
    pmc = ids.get("pmc") or ids.get("pmcid")
    title = _prose(meta.find("title-group/article-title"))
    abstract = _blocks(meta.find("abstract"))
    body = _blocks(root.find("body"))
    lic = meta.find("permissions/license")
    licence_text = " ".join(filter(None, (text(lic), text(meta.find(".//copyright-statement")))))
    url = lic.get(XLINK) if lic is not None else None
    journal = root.find("front/journal-meta")
    record = {
        "pmcid": (pmc if pmc.upper().startswith("PMC") else f"PMC{pmc}") if pmc else None,
        "text": "\n\n".join(p for p in (title, abstract, body) if p),
        "pmid": ids.get("pmid"),
        "doi": ids.get("doi"),
        "journal": text(journal.find(".//journal-title")) or None if journal is not None else None,
        "date": _date(meta),
        "article_type": root.get("article-type"),
        "keywords": [text(k) for k in meta.iterfind(".//kwd-group/kwd") if text(k)],
        "subjects": [
            text(s)
            for s in meta.iterfind(
                "article-categories/subj-group[@subj-group-type='heading']/subject"
            )
        ],
        "country": _country(meta),
        "license": licence(url, lic.get("license-type") if lic is not None else None, licence_text),
        "license_url": url,
        "doc_type": "article",
    }
    return {k: v for k, v in record.items() if v not in (None, [], "")}


def _blocks(el: etree._Element | None) -> str:
    """Sections, paragraphs, lists and captions in document order, a line each; a section
    with nothing left but its title (supplementary material) is left out."""
    return "\n".join(_lines(el)) if el is not None else ""


NESTED = (
    "list",
    "list-item",
    "boxed-text",
    "def-list",
    "def-item",
    "term",
    "def",
    "statement",
    "disp-quote",
    "fig-group",
    "table-wrap-group",
)


def _lines(e: etree._Element) -> list[str]:
    lines: list[str] = []
    for child in e:
        tag = child.tag
        if not isinstance(tag, str) or _skip(child):
            continue
        if tag in ("title", "p"):
            lines.append(_prose(child))
        elif tag in ("fig", "table-wrap"):
            label = text(child.find("label"))
            said = _prose(child.find("caption"))
            lines.append(f"{label}. {said}" if label and said else label or said)
        elif tag == "sec":
            inner = _lines(child)
            if len(inner) > 1 or (inner and child.find("title") is None):
                lines += inner
        elif tag in NESTED:
            lines += _lines(child)
    return [line for line in lines if line]


def _date(meta: etree._Element) -> str | None:
    dates = {d.get("pub-type") or d.get("date-type"): d for d in meta.iterfind("pub-date")}
    d = next(
        (dates[k] for k in ("epub", "ppub", "pub", "collection", "epub-ppub") if k in dates),
        next(iter(dates.values()), None),
    )
    if d is None:
        return None
    year, month, day = (text(d.find(k)) for k in ("year", "month", "day"))
    if not year:
        return None
    if not month.isdigit():
        return year
    return f"{year}-{int(month):02}-{int(day):02}" if day.isdigit() else f"{year}-{int(month):02}"


def _country(meta: etree._Element) -> str | None:
    aff = meta.find(".//aff")
    if aff is None:
        return None
    stated = text(aff.find("country"))
    return country(stated) or stated or country(text(aff))


_CC = re.compile(r"creativecommons\.org/(?:licenses/([a-z-]+)/(\d\.\d)|publicdomain/(zero|mark))")
_CC_WORDS = (
    ("noncommercial", "NC"),
    ("no derivative", "ND"),
    ("noderivative", "ND"),
    ("sharealike", "SA"),
    ("share alike", "SA"),
)


def licence(url: str | None, kind: str | None, said: str) -> str | None:
    """The licence as "CC BY 4.0", "CC BY-NC-ND 3.0", "CC0" or "public domain": from the
    licence's URL, else its type, else what its text says; None when none says."""
    m = _CC.search(url or "") or _CC.search(said)
    if m:
        if m.group(3):
            return "CC0" if m.group(3) == "zero" else "public domain"
        return f"CC {m.group(1).upper()} {m.group(2)}"
    if kind == "public-domain" or "public domain" in said.lower():
        return "public domain"
    low = said.lower().replace("-", "")
    if "creative commons zero" in low or re.search(r"\bcc0\b", low):
        return "CC0"
    if "creative commons attribution" in low:
        parts = [code for word, code in _CC_WORDS if word in low]
        return "CC " + "-".join(["BY", *dict.fromkeys(parts)])
    return None
