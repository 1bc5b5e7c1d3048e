"""The ADAM abbreviation inventory (MEDLINE 2006): one row per abbreviation sense, columns
abbreviation, variants (`NO:7|(.)NO:2`), long forms (`nitric oxide:9:0.67|...`), score, count.

Each sense (long form) becomes an `ADAM:` concept named by its most frequent long form, keyed by a
hash of that long form so the ID is stable across releases; the long-form variants are its `exact`
synonyms and the abbreviation and its variants its `abbreviation` synonyms, with their counts in
`freq`. Linking a sense to MeSH or UMLS is the normalizer's job (it maps the long form).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from ontology.errors import SourceError
from ontology.io import read_lines
from ontology.schema import TermTables


def _pairs(cell: str, path, no: int) -> list[tuple[str, int]]:
    """`a:7|b:2` or `long form:9:0.67|...` -> [(text, count)]. Text may itself hold colons."""
    out = []
    for item in cell.split("|"):
        parts = item.rsplit(":", 2)
        if len(parts) == 3 and parts[1].isdigit():
            out.append((parts[0], int(parts[1])))
        elif len(parts) >= 2 and parts[-1].isdigit():
            out.append((":".join(parts[:-1]), int(parts[-1])))
        else:
            raise SourceError(path, no, f"malformed 'text:count' item {item!r}")
    return out


def load(path: str | Path) -> TermTables:
    concepts, synonyms = [], []
    index: dict[str, int] = {}
    for no, line in read_lines(path):
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) != 5:
            raise SourceError(path, no, f"expected 5 tab-separated cells, found {len(cells)}")
        abbr, variants, longforms = cells[0].strip(), cells[1], cells[2]
        lfs = _pairs(longforms, path, no)
        name = max(lfs, key=lambda p: p[1])[0].strip()
        key = " ".join(name.lower().split())
        cid = "ADAM:" + hashlib.sha1(key.encode()).hexdigest()[:12]
        if cid not in index:
            index[cid] = len(concepts)
            concepts.append(
                {
                    "concept_id": cid,
                    "vocab": "ADAM",
                    "name": name,
                    "lang": "en",
                    "semantic_types": ["abbreviation sense"],
                    "obsolete": False,
                }
            )
        for lf, n in lfs:
            synonyms.append(
                {
                    "concept_id": cid,
                    "term": lf.strip(),
                    "lang": "en",
                    "kind": "exact",
                    "source": "adam",
                    "freq": n,
                }
            )
        for v, n in _pairs(variants, path, no) if variants else [(abbr, int(cells[4] or 0))]:
            synonyms.append(
                {
                    "concept_id": cid,
                    "term": v.strip(),
                    "lang": "en",
                    "kind": "abbreviation",
                    "source": "adam",
                    "freq": n,
                }
            )
    if not concepts:
        raise SourceError(path, None, "no abbreviation rows found")
    # The same long form or abbreviation seen under several rows: one synonym, counts summed.
    syn = (
        pl.DataFrame(synonyms)
        .group_by(["concept_id", "term", "lang", "kind", "source"], maintain_order=True)
        .agg(pl.col("freq").sum())
    )
    return TermTables(concepts, syn, versions={"adam": Path(path).name})
