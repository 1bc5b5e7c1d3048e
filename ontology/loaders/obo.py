"""OBO 1.4 flat files (hp.obo, doid.obo, mondo.obo, ...).

[Term] stanzas become concepts (name, def, obsolete, namespace as semantic type); `synonym:` lines
become synonyms with their scope (EXACT/RELATED/BROAD/NARROW) or, when typed so, `abbreviation` /
`layperson`; `is_a`, `relationship: part_of`, `xref` and `replaced_by` become relations.
"""

from __future__ import annotations

import re
from pathlib import Path

from ontology.curie import canonical
from ontology.errors import SourceError
from ontology.io import read_lines
from ontology.schema import TermTables

SCOPES = {"EXACT": "exact", "RELATED": "related", "BROAD": "broad", "NARROW": "narrow"}
TYPED_KINDS = {"abbreviation": "abbreviation", "layperson": "layperson"}
# synonym: "text" SCOPE [TYPE] [xrefs]  -- text may hold escaped quotes.
SYNONYM = re.compile(r'^"((?:[^"\\]|\\.)*)"\s+([A-Z]+)(?:\s+([^\s\[]+))?\s*(\[.*\])?\s*(\{.*\})?$')
DEF = re.compile(r'^"((?:[^"\\]|\\.)*)"')
TAG = re.compile(r"^([A-Za-z_][\w-]*):\s?(.*)$")


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s)


def _strip_comment(value: str) -> str:
    # "HP:0000118 ! Phenotypic abnormality" -> "HP:0000118"; trailing {qualifiers} dropped too.
    value = value.split(" ! ", 1)[0]
    return re.sub(r"\s*\{[^}]*\}\s*$", "", value).strip()


def load(path: str | Path) -> TermTables:
    concepts, synonyms, relations = [], [], []
    versions: dict[str, str] = {}
    term: dict | None = None
    stanza_line = 0
    src = Path(path).stem

    def finish() -> None:
        if term is None:
            return
        if "id" not in term:
            raise SourceError(path, stanza_line, "[Term] stanza without an id: line")
        if not term.get("name"):
            raise SourceError(path, stanza_line, f"[Term] {term['id']} has no name: line")
        concepts.append(
            {
                k: term.get(k)
                for k in ("concept_id", "vocab", "name", "semantic_types", "definition", "obsolete")
            }
            | {"lang": "en"}
        )
        synonyms.append(
            {
                "concept_id": term["concept_id"],
                "term": term["name"],
                "lang": "en",
                "kind": "preferred",
                "source": src,
            }
        )

    header = True
    in_term = False
    for no, line in read_lines(path):
        line = line.strip()
        if not line or line.startswith("!"):
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise SourceError(path, no, f"malformed stanza header {line!r}")
            finish()
            term = None
            header = False
            in_term = line == "[Term]"
            if in_term:
                term = {"obsolete": False, "semantic_types": []}
                stanza_line = no
            continue
        m = TAG.match(line)
        if not m:
            raise SourceError(path, no, f"expected 'tag: value', got {line[:60]!r}")
        tag, value = m.group(1), m.group(2).strip()
        if header:
            if tag in ("data-version", "format-version") and tag not in versions:
                versions[f"{src}:{tag}"] = value
            continue
        if not in_term:
            continue
        if tag == "id":
            cid = canonical(value)
            if ":" not in cid:
                raise SourceError(path, no, f"id {value!r} is not a CURIE (PREFIX:LOCAL)")
            term["id"], term["concept_id"], term["vocab"] = value, cid, cid.split(":", 1)[0]
        elif "concept_id" not in term:
            raise SourceError(path, no, f"'{tag}:' before the stanza's id: line")
        elif tag == "name":
            term["name"] = value
        elif tag == "def":
            d = DEF.match(value)
            if not d:
                raise SourceError(path, no, "def: value must start with a quoted string")
            term["definition"] = _unescape(d.group(1))
        elif tag == "namespace":
            term["semantic_types"].append(value)
        elif tag == "is_obsolete":
            term["obsolete"] = value.lower() == "true"
        elif tag == "synonym":
            s = SYNONYM.match(value)
            if not s or s.group(2) not in SCOPES:
                raise SourceError(
                    path,
                    no,
                    f'malformed synonym (want "text" SCOPE [TYPE] [xrefs]): {value[:80]!r}',
                )
            kind = TYPED_KINDS.get(s.group(3) or "", SCOPES[s.group(2)])
            if s.group(3) == "obsolete_synonym":
                continue
            synonyms.append(
                {
                    "concept_id": term["concept_id"],
                    "term": _unescape(s.group(1)),
                    "lang": "en",
                    "kind": kind,
                    "source": src,
                }
            )
        elif tag in ("is_a", "xref", "replaced_by", "relationship"):
            target = _strip_comment(value)
            if tag == "xref":
                target = target.split(" ", 1)[0].strip('"')
            rel = {"is_a": "is_a", "xref": "xref", "replaced_by": "replaced_by"}.get(tag)
            if tag == "relationship":
                parts = target.split()
                if len(parts) != 2:
                    raise SourceError(path, no, f"relationship wants 'TYPE TARGET', got {value!r}")
                if parts[0] != "part_of":
                    continue
                rel, target = "part_of", parts[1]
            if ":" not in target or target.lower().startswith(("http:", "https:")):
                if tag == "xref":
                    continue  # URLs and free-text xrefs carry no ID
                raise SourceError(path, no, f"{tag} target {target!r} is not a CURIE")
            relations.append(
                {"src": term["concept_id"], "rel": rel, "dst": canonical(target), "source": src}
            )
    finish()
    if not concepts:
        raise SourceError(path, None, "no [Term] stanza found: is this an OBO file?")
    return TermTables(concepts, synonyms, relations, versions=versions)
