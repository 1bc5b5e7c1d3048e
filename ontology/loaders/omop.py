"""OMOP standardized vocabularies (an Athena export): CONCEPT.csv (required), CONCEPT_SYNONYM.csv
and CONCEPT_RELATIONSHIP.csv in one folder, tab- or comma-separated.

Concepts become `OMOP:<concept_id>` with domain and class as semantic types and `invalid_reason`
as obsolete; each also gets an `xref` to its source code (`SNOMED:44054006`, `ICD10CM:E11.9`, ...).
'Is a' becomes `is_a`, 'Maps to' `maps_to`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ontology.curie import canonical_prefix
from ontology.errors import SourceError
from ontology.io import read_table
from ontology.schema import TermTables

CONCEPT = [
    "concept_id",
    "concept_name",
    "domain_id",
    "vocabulary_id",
    "concept_class_id",
    "concept_code",
    "invalid_reason",
]
SYNONYM = ["concept_id", "concept_synonym_name", "language_concept_id"]
RELATIONSHIP = ["concept_id_1", "concept_id_2", "relationship_id"]
# OMOP language concept IDs -> language codes.
LANGUAGES = {"4180186": "en", "4182948": "zh", "4182511": "es", "4180190": "fr", "4182504": "de"}
RELS = {"Is a": "is_a", "Maps to": "maps_to"}


def _table(folder: Path, name: str, required: list[str], optional: bool) -> pl.DataFrame | None:
    path = folder / name
    if not path.exists():
        if optional:
            return None
        raise SourceError(path, None, f"OMOP folder has no {name}")
    return read_table(path, required, quote_char=None)


def load(path: str | Path) -> TermTables:
    folder = Path(path)
    c = _table(folder, "CONCEPT.csv", CONCEPT, optional=False)
    oid = pl.lit("OMOP:") + pl.col("concept_id")
    concepts = c.select(
        concept_id=oid,
        vocab=pl.lit("OMOP"),
        name="concept_name",
        lang=pl.lit("en"),
        semantic_types=pl.concat_list("domain_id", "concept_class_id"),
        obsolete=pl.col("invalid_reason").fill_null("").str.strip_chars() != "",
    )
    synonyms = [
        concepts.select(
            "concept_id",
            term="name",
            lang=pl.lit("en"),
            kind=pl.lit("preferred"),
            source=pl.lit("omop"),
        )
    ]
    s = _table(folder, "CONCEPT_SYNONYM.csv", SYNONYM, optional=True)
    if s is not None:
        synonyms.append(
            s.select(
                concept_id=oid,
                term="concept_synonym_name",
                lang=pl.col("language_concept_id").replace_strict(LANGUAGES, default="und"),
                kind=pl.lit("exact"),
                source=pl.lit("omop"),
            )
        )
    vocabs = c["vocabulary_id"].unique().to_list()
    prefix = {v: canonical_prefix(v) for v in vocabs if v}
    relations = [
        c.filter(pl.col("vocabulary_id").is_in(list(prefix))).select(
            src=oid,
            rel=pl.lit("xref"),
            dst=pl.col("vocabulary_id").replace_strict(prefix)
            + pl.lit(":")
            + pl.col("concept_code"),
            source=pl.lit("omop"),
        )
    ]
    r = _table(folder, "CONCEPT_RELATIONSHIP.csv", RELATIONSHIP, optional=True)
    if r is not None:
        relations.append(
            r.filter(pl.col("relationship_id").is_in(list(RELS)))
            .select(
                src=pl.lit("OMOP:") + pl.col("concept_id_1"),
                rel=pl.col("relationship_id").replace_strict(RELS),
                dst=pl.lit("OMOP:") + pl.col("concept_id_2"),
                source=pl.lit("omop"),
            )
            .filter(pl.col("src") != pl.col("dst"))
        )
    return TermTables(
        concepts,
        pl.concat(synonyms).unique(maintain_order=True),
        pl.concat(relations),
        versions={"omop": folder.name},
    )
