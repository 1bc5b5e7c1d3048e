"""MeSH descriptors from the TSV layout (thesaurus.tsv[.gz] + trees.tsv[.gz] in one folder).

Descriptors become `MESH:D...` concepts; every entry term a synonym (the record's preferred term as
`preferred`, terms of the preferred concept as `exact`, of subordinate concepts as `related`,
abbreviations and acronyms as `abbreviation`); tree numbers give `is_a` (a descriptor is under the
descriptor that holds the parent tree number) and the top categories give semantic types.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ontology.errors import SourceError
from ontology.io import read_table
from ontology.schema import TermTables

THESAURUS = [
    "DescriptorUI",
    "DescriptorName",
    "ConceptUI",
    "TermName",
    "ConceptPreferredTermYN",
    "LexicalTag",
    "RecordPreferredTermYN",
]
TREES = ["DescriptorUI", "tree_location", "cats"]
# First letter of a tree number -> the category name used as semantic type.
TREE_CATEGORIES = {
    "A": "Anatomy",
    "B": "Organisms",
    "C": "Diseases",
    "D": "Chemicals and Drugs",
    "E": "Analytical, Diagnostic and Therapeutic Techniques, and Equipment",
    "F": "Psychiatry and Psychology",
    "G": "Phenomena and Processes",
    "H": "Disciplines and Occupations",
    "I": "Anthropology, Education, Sociology, and Social Phenomena",
    "J": "Technology, Industry, and Agriculture",
    "K": "Humanities",
    "L": "Information Science",
    "M": "Named Groups",
    "N": "Health Care",
    "V": "Publication Characteristics",
    "Z": "Geographicals",
}


def _find(folder: Path, stem: str) -> Path:
    for name in (f"{stem}.tsv.gz", f"{stem}.tsv"):
        if (folder / name).exists():
            return folder / name
    raise SourceError(folder / f"{stem}.tsv.gz", None, f"MeSH folder has no {stem}.tsv[.gz]")


def load(path: str | Path) -> TermTables:
    folder = Path(path)
    if not folder.is_dir():
        raise SourceError(folder, None, "expected a folder with thesaurus.tsv.gz and trees.tsv.gz")
    th = read_table(_find(folder, "thesaurus"), THESAURUS, separator="\t", quote_char=None)
    trees = read_table(_find(folder, "trees"), TREES, separator="\t", quote_char=None)

    th = th.with_columns(concept_id=pl.lit("MESH:") + pl.col("DescriptorUI"))
    pref_concept = th.filter(pl.col("RecordPreferredTermYN") == "Y").select(
        "DescriptorUI", pref_cui=pl.col("ConceptUI")
    )
    th = th.join(pref_concept, on="DescriptorUI", how="left")
    kind = (
        pl.when(pl.col("RecordPreferredTermYN") == "Y")
        .then(pl.lit("preferred"))
        .when(pl.col("LexicalTag").is_in(["ABB", "ACR"]))
        .then(pl.lit("abbreviation"))
        .when(pl.col("ConceptUI") == pl.col("pref_cui"))
        .then(pl.lit("exact"))
        .otherwise(pl.lit("related"))
    )
    synonyms = th.select(
        "concept_id", term=pl.col("TermName"), lang=pl.lit("en"), kind=kind, source=pl.lit("mesh")
    ).unique(maintain_order=True)

    sem = trees.group_by("DescriptorUI", maintain_order=True).agg(
        semantic_types=pl.col("cats").unique(maintain_order=True)
    )
    concepts = (
        th.select("DescriptorUI", "concept_id", name=pl.col("DescriptorName"))
        .unique("DescriptorUI", maintain_order=True)
        .join(sem, on="DescriptorUI", how="left")
        .with_columns(vocab=pl.lit("MESH"), lang=pl.lit("en"), obsolete=pl.lit(False))
    )

    tn = trees.select("DescriptorUI", tree=pl.col("tree_location"))
    parents = tn.with_columns(parent=pl.col("tree").str.replace(r"\.[^.]*$", "")).filter(
        pl.col("parent") != pl.col("tree")
    )
    relations = (
        parents.join(tn.rename({"DescriptorUI": "ParentUI", "tree": "parent"}), on="parent")
        .select(
            src=pl.lit("MESH:") + pl.col("DescriptorUI"),
            rel=pl.lit("is_a"),
            dst=pl.lit("MESH:") + pl.col("ParentUI"),
            source=pl.lit("mesh"),
        )
        .filter(pl.col("src") != pl.col("dst"))
        .unique(maintain_order=True)
    )
    return TermTables(concepts, synonyms, relations, versions={"mesh": folder.name})
