"""A local dictionary as a TSV or CSV table: `concept_id`, `term`, and optionally `lang`, `kind`,
`name` columns (e.g. a hospital's own abbreviations, or approved mention -> concept pairs).

Concepts not defined by any other source are created here, named by their `preferred` term (or
their first term, or the `name` column).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ontology.curie import canonical_expr, vocab_expr
from ontology.errors import SourceError
from ontology.io import read_table
from ontology.schema import SYNONYM_KINDS, TermTables


def load(path: str | Path, default_kind: str = "exact") -> TermTables:
    t = read_table(path, ["concept_id", "term"])
    t = t.with_row_index("line", offset=2)
    for col, default in (("lang", "en"), ("kind", default_kind)):
        if col not in t.columns:
            t = t.with_columns(pl.lit(default).alias(col))
        t = t.with_columns(pl.col(col).fill_null(default))
    empty = t.filter(
        pl.col("concept_id").fill_null("").str.strip_chars().eq("")
        | pl.col("term").fill_null("").str.strip_chars().eq("")
    )
    if empty.height:
        raise SourceError(path, empty["line"][0], "empty concept_id or term")
    no_prefix = t.filter(~pl.col("concept_id").str.contains(":"))
    if no_prefix.height:
        raise SourceError(
            path,
            no_prefix["line"][0],
            f"concept_id {no_prefix['concept_id'][0]!r} is not a CURIE (PREFIX:LOCAL)",
        )
    bad = t.filter(~pl.col("kind").is_in(SYNONYM_KINDS))
    if bad.height:
        raise SourceError(
            path,
            bad["line"][0],
            f"unknown kind {bad['kind'][0]!r}; known: {', '.join(SYNONYM_KINDS)}",
        )
    t = t.with_columns(
        concept_id=canonical_expr("concept_id"), term=pl.col("term").str.strip_chars()
    )
    src = Path(path).stem
    synonyms = t.select("concept_id", "term", "lang", "kind", source=pl.lit(src))
    rank = pl.when(pl.col("kind") == "preferred").then(0).otherwise(1)
    named = t.sort(rank, "line").unique("concept_id", keep="first", maintain_order=True)
    name = pl.col("name") if "name" in t.columns else pl.col("term")
    concepts = named.sort("line").select(
        "concept_id",
        "lang",
        vocab=vocab_expr("concept_id"),
        name=name.fill_null(pl.col("term")),
        obsolete=pl.lit(False),
    )
    return TermTables(concepts, synonyms, versions={src: Path(path).name}, fallback_concepts=True)
