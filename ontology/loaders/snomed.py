"""SNOMED CT RF2 snapshot: a folder (searched recursively) with sct2_Concept_Snapshot*,
sct2_Description_Snapshot*, optionally sct2_Relationship_Snapshot* and a language refset
(der2_cRefset_Language*Snapshot*) to tell preferred terms from acceptable ones.

Active concepts become `SNOMED:<sctid>` named by their preferred synonym (else the FSN without its
semantic tag), with the tag ("disorder", "finding", ...) as semantic type; active descriptions are
synonyms; active 116680003 |Is a| relationships become `is_a`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ontology.errors import SourceError
from ontology.io import read_table
from ontology.schema import TermTables

FSN = "900000000000003001"
IS_A = "116680003"
PREFERRED = "900000000000548007"
CONCEPT = ["id", "active"]
DESCRIPTION = ["id", "active", "conceptId", "languageCode", "typeId", "term"]
RELATIONSHIP = ["active", "sourceId", "destinationId", "typeId"]
LANGUAGE = ["active", "referencedComponentId", "acceptabilityId"]


def _one(folder: Path, pattern: str, required: list[str], optional: bool = False):
    found = sorted(folder.rglob(pattern))
    if not found:
        if optional:
            return None
        raise SourceError(folder / pattern, None, "RF2 snapshot file not found")
    return pl.concat([read_table(f, required, separator="\t", quote_char=None) for f in found])


def load(path: str | Path) -> TermTables:
    folder = Path(path)
    if not folder.is_dir():
        raise SourceError(folder, None, "expected the folder of an RF2 snapshot")
    con = _one(folder, "sct2_Concept_*Snapshot*.txt", CONCEPT)
    desc = _one(folder, "sct2_Description_*Snapshot*.txt", DESCRIPTION).filter(
        pl.col("active") == "1"
    )
    lang = _one(folder, "der2_cRefset_Language*Snapshot*.txt", LANGUAGE, optional=True)
    preferred_ids = (
        lang.filter((pl.col("active") == "1") & (pl.col("acceptabilityId") == PREFERRED))[
            "referencedComponentId"
        ].implode()
        if lang is not None
        else pl.lit([], pl.List(pl.Utf8))
    )
    desc = desc.with_columns(
        is_fsn=pl.col("typeId") == FSN,
        is_pref=pl.col("id").is_in(preferred_ids) & (pl.col("typeId") != FSN),
        tag=pl.col("term").str.extract(r"\(([^()]+)\)\s*$"),
    )
    fsn = (
        desc.filter("is_fsn")
        .unique("conceptId", keep="first", maintain_order=True)
        .select(
            "conceptId", fsn_name=pl.col("term").str.replace(r"\s*\([^()]+\)\s*$", ""), tag="tag"
        )
    )
    pref = (
        desc.filter("is_pref")
        .unique("conceptId", keep="first", maintain_order=True)
        .select("conceptId", pref_name="term")
    )
    concepts = (
        con.unique("id", keep="last", maintain_order=True)
        .join(fsn, left_on="id", right_on="conceptId", how="left")
        .join(pref, left_on="id", right_on="conceptId", how="left")
        .select(
            concept_id=pl.lit("SNOMED:") + pl.col("id"),
            vocab=pl.lit("SNOMED"),
            name=pl.coalesce("pref_name", "fsn_name"),
            lang=pl.lit("en"),
            semantic_types=pl.when(pl.col("tag").is_null())
            .then(pl.lit([], pl.List(pl.Utf8)))
            .otherwise(pl.concat_list("tag")),
            obsolete=pl.col("active") != "1",
        )
        .filter(pl.col("name").is_not_null())
    )
    kind = pl.when("is_pref").then(pl.lit("preferred")).otherwise(pl.lit("exact"))
    synonyms = desc.select(
        concept_id=pl.lit("SNOMED:") + pl.col("conceptId"),
        term=pl.when("is_fsn")
        .then(pl.col("term").str.replace(r"\s*\([^()]+\)\s*$", ""))
        .otherwise(pl.col("term")),
        lang="languageCode",
        kind=kind,
        source=pl.lit("snomed"),
    )
    rel = _one(folder, "sct2_Relationship_*Snapshot*.txt", RELATIONSHIP, optional=True)
    relations = None
    if rel is not None:
        relations = rel.filter((pl.col("active") == "1") & (pl.col("typeId") == IS_A)).select(
            src=pl.lit("SNOMED:") + pl.col("sourceId"),
            rel=pl.lit("is_a"),
            dst=pl.lit("SNOMED:") + pl.col("destinationId"),
            source=pl.lit("snomed"),
        )
    return TermTables(
        concepts, synonyms.unique(maintain_order=True), relations, versions={"snomed": folder.name}
    )
