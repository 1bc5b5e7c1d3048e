"""Babelon translation tables (e.g. `hp-zh.babelon.tsv[.gz]`): translated labels and synonyms of
concepts defined elsewhere, added as synonyms in the translation language (labels as `preferred`)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ontology.curie import canonical_expr
from ontology.io import read_table
from ontology.schema import TermTables

COLUMNS = ["subject_id", "predicate_id", "translation_language", "translation_value"]
PREDICATE_KIND = {
    "rdfs:label": "preferred",
    "oboInOwl:hasExactSynonym": "exact",
    "oboInOwl:hasRelatedSynonym": "related",
    "oboInOwl:hasBroadSynonym": "broad",
    "oboInOwl:hasNarrowSynonym": "narrow",
}


def load(path: str | Path) -> TermTables:
    t = read_table(path, COLUMNS, separator="\t", quote_char=None)
    if "translation_status" in t.columns:
        t = t.filter(pl.col("translation_status").fill_null("") != "CANDIDATE")
    t = t.filter(
        pl.col("predicate_id").is_in(list(PREDICATE_KIND))
        & (pl.col("translation_value").fill_null("").str.strip_chars() != "")
    )
    synonyms = t.select(
        concept_id=canonical_expr("subject_id"),
        term=pl.col("translation_value").str.strip_chars(),
        lang=pl.col("translation_language"),
        kind=pl.col("predicate_id").replace_strict(PREDICATE_KIND),
        source=pl.lit("babelon:" + Path(path).name.split(".")[0]),
    ).unique(maintain_order=True)
    return TermTables(synonyms=synonyms, versions={"babelon": Path(path).name})
