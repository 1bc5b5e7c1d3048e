"""Code lists: a two-column TSV of `code<TAB>name`, with or without a `code name` header.

Used for the ICD-10 Beijing clinical edition (`icd10bj:`, Chinese, the CHIP-CDN target) and the
Chinese procedure code list (`icd9cm3bj:`, ICD-9-CM-3 style). The hierarchy is implied by the codes:
a code is under the longest other code that is a prefix of it (`A00.001` -> `A00.0` -> `A00`;
`A01.003+G01*` -> `A01.0`).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ontology.errors import SourceError
from ontology.io import read_lines
from ontology.schema import TermTables


def _parent(code: str, known: set[str]) -> str | None:
    for end in range(len(code) - 1, 0, -1):
        cand = code[:end].rstrip(".+")
        if cand and cand != code and cand in known:
            return cand
    return None


def load(path: str | Path, vocab: str, lang: str = "zh") -> TermTables:
    codes: list[str] = []
    names: list[str] = []
    seen: dict[str, int] = {}
    for no, line in read_lines(path):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != 2:
            raise SourceError(
                path, no, f"expected 2 tab-separated cells (code, name), found {len(cells)}"
            )
        code, name = cells[0].strip(), cells[1].strip()
        if no == 1 and code.lower() == "code":
            continue  # header
        if not code or not name:
            raise SourceError(path, no, "empty code or name")
        if code in seen:
            raise SourceError(path, no, f"code {code} already defined on line {seen[code]}")
        seen[code] = no
        codes.append(code)
        names.append(name)
    if not codes:
        raise SourceError(path, None, "no codes found")
    known = set(codes)
    ids = [f"{vocab}:{c}" for c in codes]
    concepts = pl.DataFrame({"concept_id": ids, "name": names}).with_columns(
        vocab=pl.lit(vocab), lang=pl.lit(lang), obsolete=pl.lit(False)
    )
    synonyms = pl.DataFrame({"concept_id": ids, "term": names}).with_columns(
        lang=pl.lit(lang), kind=pl.lit("preferred"), source=pl.lit(vocab.lower())
    )
    pairs = [(f"{vocab}:{c}", f"{vocab}:{p}") for c in codes if (p := _parent(c, known))]
    relations = pl.DataFrame(pairs, schema=["src", "dst"], orient="row").with_columns(
        rel=pl.lit("is_a"), source=pl.lit(vocab.lower())
    )
    return TermTables(concepts, synonyms, relations, versions={vocab.lower(): Path(path).name})
