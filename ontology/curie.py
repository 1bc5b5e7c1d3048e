"""CURIE prefixes: the many spellings sources use for the same vocabulary, mapped to ours."""

from __future__ import annotations

import polars as pl

# Source spelling (upper-cased) -> our prefix. SNOMED edition suffixes are handled below.
PREFIXES = {
    "MSH": "MESH",
    "MESH": "MESH",
    "MIM": "OMIM",
    "OMIM": "OMIM",
    "OMIMPS": "OMIM",
    "UMLS": "UMLS",
    "UMLS_CUI": "UMLS",
    "SNOMEDCT": "SNOMED",
    "SNOMEDCT_US": "SNOMED",
    "SNOMED": "SNOMED",
    "SCTID": "SNOMED",
    "ICD10CM": "ICD10CM",
    "ICD-10-CM": "ICD10CM",
    "ICD10": "ICD10",
    "ICD-10": "ICD10",
    "ICD10WHO": "ICD10",
    "ICD9CM": "ICD9CM",
    "ICD9": "ICD9CM",
    "ICD-9-CM": "ICD9CM",
    "HP": "HP",
    "HPO": "HP",
    "DOID": "DOID",
    "MONDO": "MONDO",
    "ORPHA": "ORPHA",
    "ORDO": "ORPHA",
    "NCIT": "NCIT",
    "NCI": "NCIT",
    "GARD": "GARD",
    "EFO": "EFO",
    "MEDDRA": "MEDDRA",
    "ICDO": "ICDO",
    "ICD11": "ICD11",
    "KEGG": "KEGG",
    "OMOP": "OMOP",
}


def canonical_prefix(prefix: str) -> str:
    p = prefix.strip().upper()
    if p.startswith("SNOMEDCT_"):  # edition-dated: SNOMEDCT_US_2025_09_01
        return "SNOMED"
    return PREFIXES.get(p, p)


def canonical(curie: str) -> str:
    """`MSH:D003924` -> `MESH:D003924`; `MIM:222100` -> `OMIM:222100`; unknown prefixes upper-cased."""
    prefix, sep, local = curie.strip().partition(":")
    if not sep or not local:
        return curie.strip()
    return f"{canonical_prefix(prefix)}:{local.strip()}"


def canonical_expr(col: str) -> pl.Expr:
    """`canonical` over a string column, vectorised (prefix map applied by polars, not per row)."""
    parts = pl.col(col).str.strip_chars().str.splitn(":", 2)
    prefix = parts.struct.field("field_0").str.to_uppercase()
    prefix = (
        pl.when(prefix.str.starts_with("SNOMEDCT_"))
        .then(pl.lit("SNOMED"))
        .otherwise(prefix.replace(PREFIXES))
    )
    local = parts.struct.field("field_1").str.strip_chars()
    return (
        pl.when(local.is_null() | (local == ""))
        .then(pl.col(col))
        .otherwise(pl.concat_str([prefix, pl.lit(":"), local]))
    )


def vocab_expr(col: str) -> pl.Expr:
    """The vocabulary (CURIE prefix) of an ID column."""
    return pl.col(col).str.split(":").list.first()
