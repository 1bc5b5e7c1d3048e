"""Cross-references a build adds between its vocabularies, so Chinese concepts are no island:

- an ICD-10 Beijing code is an ICD-10 code with an extension: each links to the ICD-10-CM code
  of its four characters, else of its three (ICD10BJ:E11.901 -> ICD10CM:E11.9, ICD10BJ:I48xx01 ->
  ICD10CM:I48), source `crosswalk:code`;
- concepts of different vocabularies with the same normalized English name link to each other
  (HP Gout, MeSH Gout, ICD-10-CM M10 Gout), source `name-match`. A name that two concepts of one
  vocabulary share says nothing, and sense inventories take no part.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

from ontology.schema import RELATIONS_SCHEMA

# vocabularies whose concept names are English names (no sense inventory: its long forms are
# senses, not names)
NAMED_IN_ENGLISH = ("MESH", "HP", "DOID", "ICD10CM", "MONDO", "OMIM", "ORPHA")


def icd_codes(concepts: pl.DataFrame) -> pl.DataFrame:
    """ICD10BJ -> ICD10CM `xref` rows: the CM code of the Beijing code's four characters, else
    of its three."""
    cm = set(concepts.filter(pl.col("vocab") == "ICD10CM")["concept_id"].str.slice(8))
    rows = []
    for cid in concepts.filter(pl.col("vocab") == "ICD10BJ")["concept_id"]:
        # the ICD-10 part only: Beijing's own digits after it are no ICD-10-CM characters
        # ("A01.010" is typhoid with haemorrhage, not CM's A01.01 typhoid meningitis)
        code = re.split(r"[x+*]", cid.removeprefix("ICD10BJ:"), maxsplit=1)[0]
        for prefix in (code[:5], code[:3]):
            prefix = prefix.rstrip(".")
            if prefix in cm:
                rows.append((cid, "xref", f"ICD10CM:{prefix}", "crosswalk:code"))
                break
    return pl.DataFrame(rows, schema=RELATIONS_SCHEMA, orient="row")


def name_matches(
    concepts: pl.DataFrame, normalize: Callable[[pl.Series], pl.Series]
) -> pl.DataFrame:
    """`xref` rows between concepts of different vocabularies named alike in English: each to
    the first of its name's group (concept order), one concept per vocabulary."""
    c = concepts.filter(
        pl.col("vocab").is_in(NAMED_IN_ENGLISH)
        & pl.col("name").is_not_null()
        & ~pl.col("obsolete").fill_null(False)
    )
    c = c.select("concept_id", "vocab", _i=pl.int_range(pl.len()), key=normalize(c["name"]))
    single = (
        c.filter(pl.col("key") != "")
        .filter(pl.len().over("key", "vocab") == 1)
        .filter(pl.col("vocab").n_unique().over("key") > 1)
        .sort("_i")
    )
    first = single.group_by("key", maintain_order=True).agg(
        pl.col("concept_id").first().alias("dst")
    )
    return (
        single.join(first, on="key")
        .filter(pl.col("concept_id") != pl.col("dst"))
        .sort("_i")
        .select(src="concept_id", rel=pl.lit("xref"), dst="dst", source=pl.lit("name-match"))
    )


def crosswalk(concepts: pl.DataFrame, normalize: Callable[[pl.Series], pl.Series]) -> pl.DataFrame:
    return pl.concat([icd_codes(concepts), name_matches(concepts, normalize)])
