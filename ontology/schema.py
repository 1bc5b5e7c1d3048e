"""The unified terminology tables (see DESIGN.md, "Data contracts") and how loaders fill them."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from termnorm import _native
from termnorm_utils.errors import InputError

# in priority order (lower is stronger): the order the Rust lexicon ranks a term's concepts by
SYNONYM_KINDS: tuple[str, ...] = tuple(_native.SYNONYM_KINDS)
# Vocabularies that are abbreviation sense inventories: their long forms name senses for
# expansion, not terms of the lexicon.
SENSE_INVENTORIES = ("ADAM", "CLINABBR")
RELATIONS = ("is_a", "part_of", "xref", "maps_to", "replaced_by")

CONCEPTS = {
    "concept_id": pl.Utf8,
    "vocab": pl.Utf8,
    "name": pl.Utf8,
    "lang": pl.Utf8,
    "semantic_types": pl.List(pl.Utf8),
    "definition": pl.Utf8,
    "obsolete": pl.Boolean,
}
# `freq`: how often the term was seen with this concept (ADAM counts); null when unknown.
SYNONYMS = {
    "concept_id": pl.Utf8,
    "term": pl.Utf8,
    "norm_term": pl.Utf8,
    "lang": pl.Utf8,
    "kind": pl.Utf8,
    "source": pl.Utf8,
    "freq": pl.Int64,
}
RELATIONS_SCHEMA = {"src": pl.Utf8, "rel": pl.Utf8, "dst": pl.Utf8, "source": pl.Utf8}
# Terms of a noisy source that join other sources' concepts by evidence, resolved in the merge
# (`build._attach`): a concept one of `names` (normalized) names under one of `codes`, else the
# first of `codes` that is a concept, else a concept one of `names` names, else the source's own
# concept `own_id` (none: the term is left out). `targets`, where given, are the
# vocabularies ("HP") or MeSH categories ("MESH/Anatomy") a name may lead to. `source` gets the
# evidence appended (":code", ":name").
ATTACHMENTS = {
    "own_id": pl.Utf8,
    "term": pl.Utf8,
    "lang": pl.Utf8,
    "kind": pl.Utf8,
    "source": pl.Utf8,
    "codes": pl.List(pl.Utf8),
    "names": pl.List(pl.Utf8),
    "targets": pl.List(pl.Utf8),
}

TABLES = {"concepts": CONCEPTS, "synonyms": SYNONYMS, "relations": RELATIONS_SCHEMA}


def conform(df: pl.DataFrame | list[dict] | dict | None, schema: dict) -> pl.DataFrame:
    """`df` with exactly the schema's columns, in order and types; absent columns become null."""
    if df is None or (isinstance(df, list) and not df):
        return pl.DataFrame(schema=schema)
    if not isinstance(df, pl.DataFrame):
        df = pl.DataFrame(df, schema_overrides={k: v for k, v in schema.items()}, strict=False)
    cols = [
        (pl.col(name).cast(dtype) if name in df.columns else pl.lit(None, dtype)).alias(name)
        for name, dtype in schema.items()
    ]
    return df.select(cols)


def typed_concepts(rows: list[tuple[str, str, str]], vocab: str, lang: str) -> pl.DataFrame:
    """A concepts table from (concept_id, name, type) rows, the first row of an ID kept."""
    return (
        pl.DataFrame(rows, schema=["concept_id", "name", "type"], orient="row")
        .unique("concept_id", keep="first", maintain_order=True)
        .select(
            "concept_id",
            vocab=pl.lit(vocab),
            name="name",
            lang=pl.lit(lang),
            semantic_types=pl.concat_list("type"),
        )
    )


@dataclass
class TermTables:
    """What one loader produces (and what a build merges): three DataFrames plus version info."""

    concepts: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=CONCEPTS))
    synonyms: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SYNONYMS))
    relations: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=RELATIONS_SCHEMA))
    versions: dict[str, str] = field(default_factory=dict)
    # `ATTACHMENTS`; the concepts named by their `own_id` are kept only where one is used
    attachments: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=ATTACHMENTS))
    # True when the concepts are only placeholders (a local dictionary naming IDs that other
    # sources define): in a merge, any other source's row for the same ID wins.
    fallback_concepts: bool = False

    def __post_init__(self) -> None:
        self.concepts = conform(self.concepts, CONCEPTS)
        self.synonyms = conform(self.synonyms, SYNONYMS)
        self.relations = conform(self.relations, RELATIONS_SCHEMA)
        self.attachments = conform(self.attachments, ATTACHMENTS)
        kinds = pl.concat([self.synonyms["kind"], self.attachments["kind"]])
        bad = set(kinds.unique().drop_nulls()) - set(SYNONYM_KINDS)
        if bad:
            raise InputError(f"unknown synonym kind(s) {sorted(bad)}; known: {SYNONYM_KINDS}")

    @staticmethod
    def concat(parts: list[TermTables]) -> TermTables:
        versions: dict[str, str] = {}
        for p in parts:
            versions.update(p.versions)
        return TermTables(
            concepts=pl.concat([p.concepts for p in parts]),
            synonyms=pl.concat([p.synonyms for p in parts]),
            relations=pl.concat([p.relations for p in parts]),
            attachments=pl.concat([p.attachments for p in parts]),
            versions=versions,
        )
