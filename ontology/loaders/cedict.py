"""CC-CEDICT (`cedict_1_0_ts_utf-8_mdbg.txt[.gz]`: `Traditional Simplified [pinyin] /gloss/...`):
the bridge from a Chinese word to the English name of a concept.

A general dictionary, so its words only join concepts (`ATTACHMENTS`, no concept of its own): a
word whose English gloss is, normalized, a term of HPO, DOID or a clinical MeSH category
(anatomy, diseases and symptoms, organisms, chemicals and drugs) becomes a `related` synonym of
that concept (肝 "liver" -> MeSH Liver, 大肠杆菌 "Escherichia coli", 头痛 "to have a headache" ->
Headache). Words of one character are left out: without word boundaries they would match
inside others (心 in 中心).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from ontology.errors import SourceError
from ontology.io import read_lines
from ontology.schema import TermTables

TARGETS = [
    "HP",
    "DOID",
    "MESH/Anatomy",
    "MESH/Diseases",
    "MESH/Organisms",
    "MESH/Chemicals and Drugs",
]
LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
NOTE = re.compile(r"\([^)]*\)|\bsb\b|\bsth\b")
VERB = re.compile(r"^(?:to (?:have|suffer from|get|catch)(?: an?)? |to |an? |the )")


def glosses(field: str) -> list[str]:
    """The English names in one entry's glosses, without notes, classifiers, cross-references
    or the verb that opens them ("to have a headache" -> headache)."""
    out = []
    for g in field.split("/"):
        g = g.strip()
        if not g or g.startswith(
            ("CL:", "abbr. for", "variant of", "see ", "old variant", "surname ", "also written")
        ):
            continue
        g = " ".join(NOTE.sub(" ", g).split())
        g = VERB.sub("", g).strip(" ,;.")
        if 3 <= len(g) <= 60:
            out.append(g)
    return out


def load(path: str | Path) -> TermTables:
    rows = []
    for no, line in read_lines(path):
        if not line.strip() or line.startswith("#"):
            continue
        m = LINE.match(line)
        if m is None:
            raise SourceError(
                path, no, "not a CC-CEDICT entry (Traditional Simplified [pinyin] /gloss/)"
            )
        word, names = m.group(2), glosses(m.group(3))
        if len(word) >= 2 and names:
            rows.append((word, names))
    if not rows:
        raise SourceError(path, None, "no CC-CEDICT entry")
    attachments = pl.DataFrame(rows, schema=["term", "names"], orient="row").with_columns(
        own_id=pl.lit(None, pl.Utf8),
        lang=pl.lit("zh"),
        kind=pl.lit("related"),
        source=pl.lit("cedict"),
        codes=pl.lit([], pl.List(pl.Utf8)),
        targets=pl.lit(TARGETS, pl.List(pl.Utf8)),
    )
    return TermTables(attachments=attachments, versions={"cedict": Path(path).name})
