"""MeSH descriptors from NLM's own XML (`desc20xx.xml[.gz]`, DescriptorRecordSet).

Same tables as the TSV layout, plus what only the XML has: scope notes as definitions, the
concept relation (NRW/BRD/REL) as the synonym kind of subordinate concepts, and the MeSH year.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

from ontology.errors import SourceError
from ontology.io import read_bytes
from ontology.loaders.mesh_tsv import TREE_CATEGORIES
from ontology.schema import TermTables

CONCEPT_RELATION_KIND = {"NRW": "narrow", "BRD": "broad", "REL": "related"}


def load(path: str | Path) -> TermTables:
    raw = read_bytes(path)
    concepts, synonyms, relations = [], [], []
    tree_owner: dict[str, str] = {}
    trees_of: dict[str, list[str]] = {}
    version = ""
    try:
        for event, el in ET.iterparse(io.BytesIO(raw), events=("start", "end")):
            if event == "start":
                if el.tag == "DescriptorRecordSet":
                    version = el.get("LanguageCode", "") + el.get("DescriptorRecordSetYear", "")
                continue
            if el.tag != "DescriptorRecord":
                continue
            ui = el.findtext("DescriptorUI")
            name = el.findtext("DescriptorName/String")
            if not ui or not name:
                raise SourceError(path, None, "DescriptorRecord without DescriptorUI or name")
            cid = f"MESH:{ui.strip()}"
            trees = [t.text.strip() for t in el.iterfind("TreeNumberList/TreeNumber") if t.text]
            trees_of[cid] = trees
            for t in trees:
                tree_owner[t] = cid
            definition = None
            for concept in el.iterfind("ConceptList/Concept"):
                preferred = concept.get("PreferredConceptYN") == "Y"
                if preferred:
                    definition = (concept.findtext("ScopeNote") or "").strip() or None
                rel = concept.find("ConceptRelationList/ConceptRelation")
                rel_name = rel.get("RelationName", "") if rel is not None else ""
                base = "exact" if preferred else CONCEPT_RELATION_KIND.get(rel_name, "related")
                for term in concept.iterfind("TermList/Term"):
                    text = (term.findtext("String") or "").strip()
                    if not text:
                        continue
                    if term.get("RecordPreferredTermYN") == "Y":
                        kind = "preferred"
                    elif term.get("LexicalTag") in ("ABB", "ACR"):
                        kind = "abbreviation"
                    else:
                        kind = base
                    synonyms.append(
                        {
                            "concept_id": cid,
                            "term": text,
                            "lang": "en",
                            "kind": kind,
                            "source": "mesh",
                        }
                    )
            cats = sorted({TREE_CATEGORIES.get(t[0], t[0]) for t in trees})
            concepts.append(
                {
                    "concept_id": cid,
                    "vocab": "MESH",
                    "name": name.strip(),
                    "lang": "en",
                    "semantic_types": cats,
                    "definition": definition,
                    "obsolete": False,
                }
            )
            el.clear()
    except ET.ParseError as e:
        raise SourceError(path, e.position[0], f"malformed XML: {e}") from None
    if not concepts:
        raise SourceError(path, None, "no DescriptorRecord found: is this a MeSH descriptor XML?")
    seen: set[tuple[str, str]] = set()
    for cid, trees in trees_of.items():
        for t in trees:
            parent = tree_owner.get(t.rsplit(".", 1)[0]) if "." in t else None
            if parent and parent != cid and (cid, parent) not in seen:
                seen.add((cid, parent))
                relations.append({"src": cid, "rel": "is_a", "dst": parent, "source": "mesh"})
    return TermTables(concepts, synonyms, relations, versions={"mesh": version or Path(path).name})
