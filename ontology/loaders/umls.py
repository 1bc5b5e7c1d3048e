"""UMLS Rich Release Format, from a folder holding MRCONSO.RRF (required), MRSTY.RRF and MRREL.RRF.

MRCONSO: CUI|LAT|TS|LUI|STT|SUI|ISPREF|AUI|SAUI|SCUI|SDUI|SAB|TTY|CODE|STR|SRL|SUPPRESS|CVF|
MRSTY:   CUI|TUI|STN|STY|ATUI|CVF|
MRREL:   CUI1|AUI1|STYPE1|REL|CUI2|AUI2|STYPE2|RELA|RUI|SRUI|SAB|SL|RG|DIR|SUPPRESS|CVF|
CUIs become `UMLS:` concepts named by their preferred English atom; every unsuppressed atom a
synonym (abbreviation term types as `abbreviation`); each atom's source code an `xref`
(MSH -> MESH:, SNOMEDCT_US -> SNOMED:, ...); MRREL PAR/CHD become `is_a`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ontology.errors import SourceError
from ontology.io import read_table
from ontology.schema import TermTables

MRCONSO = [
    "CUI",
    "LAT",
    "TS",
    "LUI",
    "STT",
    "SUI",
    "ISPREF",
    "AUI",
    "SAUI",
    "SCUI",
    "SDUI",
    "SAB",
    "TTY",
    "CODE",
    "STR",
    "SRL",
    "SUPPRESS",
    "CVF",
    "_end",
]
MRSTY = ["CUI", "TUI", "STN", "STY", "ATUI", "CVF", "_end"]
MRREL = [
    "CUI1",
    "AUI1",
    "STYPE1",
    "REL",
    "CUI2",
    "AUI2",
    "STYPE2",
    "RELA",
    "RUI",
    "SRUI",
    "SAB",
    "SL",
    "RG",
    "DIR",
    "SUPPRESS",
    "CVF",
    "_end",
]
LANGS = {
    "ENG": "en",
    "CHI": "zh",
    "SPA": "es",
    "FRE": "fr",
    "GER": "de",
    "JPN": "ja",
    "ITA": "it",
    "POR": "pt",
    "DUT": "nl",
    "RUS": "ru",
    "KOR": "ko",
}
ABBREVIATION_TTY = ["AB", "ACR", "AA", "AM", "ES", "SY_ABB", "OA"]
# Sources whose codes are CURIE-worthy on their own (others stay UMLS-internal).
XREF_SABS = {
    "MSH": "MESH",
    "SNOMEDCT_US": "SNOMED",
    "OMIM": "OMIM",
    "ICD10CM": "ICD10CM",
    "ICD10": "ICD10",
    "ICD9CM": "ICD9CM",
    "NCI": "NCIT",
    "MDR": "MEDDRA",
    "HPO": "HP",
    "MEDLINEPLUS": "MEDLINEPLUS",
    "RXNORM": "RXNORM",
    "LNC": "LOINC",
}


def _rrf(path: Path, columns: list[str]) -> pl.DataFrame:
    return read_table(path, [], separator="|", has_header=False, columns=columns, quote_char=None)


def load(path: str | Path) -> TermTables:
    folder = Path(path)
    conso_path = folder / "MRCONSO.RRF"
    if not conso_path.exists():
        raise SourceError(conso_path, None, "UMLS folder has no MRCONSO.RRF")
    conso = _rrf(conso_path, MRCONSO)
    conso = conso.with_columns(pl.col("SUPPRESS").fill_null("N"))
    live = conso.filter(pl.col("SUPPRESS") == "N")
    pref_rank = (
        pl.when(
            (pl.col("LAT") == "ENG")
            & (pl.col("TS") == "P")
            & (pl.col("STT") == "PF")
            & (pl.col("ISPREF") == "Y")
        )
        .then(0)
        .when(pl.col("LAT") == "ENG")
        .then(1)
        .otherwise(2)
    )
    names = (
        conso.with_columns(rank=pref_rank, line=pl.int_range(pl.len()))
        .sort("rank", "line")
        .unique("CUI", keep="first", maintain_order=True)
        .sort("line")
        .select(
            "CUI",
            name="STR",
            lang=pl.col("LAT").replace_strict(LANGS, default="und"),
            obsolete=~pl.col("CUI").is_in(live["CUI"].implode()),
        )
    )
    sty_path = folder / "MRSTY.RRF"
    if sty_path.exists():
        sty = (
            _rrf(sty_path, MRSTY)
            .group_by("CUI", maintain_order=True)
            .agg(semantic_types=pl.col("STY").unique(maintain_order=True))
        )
        names = names.join(sty, on="CUI", how="left")
    concepts = names.with_columns(concept_id=pl.lit("UMLS:") + pl.col("CUI"), vocab=pl.lit("UMLS"))
    kind = (
        pl.when(pl.col("TTY").is_in(ABBREVIATION_TTY))
        .then(pl.lit("abbreviation"))
        .when(
            (pl.col("TS") == "P")
            & (pl.col("STT") == "PF")
            & (pl.col("ISPREF") == "Y")
            & (pl.col("LAT") == "ENG")
        )
        .then(pl.lit("preferred"))
        .otherwise(pl.lit("exact"))
    )
    synonyms = live.select(
        concept_id=pl.lit("UMLS:") + pl.col("CUI"),
        term="STR",
        lang=pl.col("LAT").replace_strict(LANGS, default="und"),
        kind=kind,
        source=pl.lit("umls:") + pl.col("SAB"),
    ).unique(maintain_order=True)
    xrefs = live.filter(
        pl.col("SAB").is_in(list(XREF_SABS))
        & pl.col("CODE").is_not_null()
        & (pl.col("CODE") != "NOCODE")
    )
    local = pl.col("CODE").str.replace(r"^(HP|MTHU\d*):?", "")  # HPO codes come as HP:0001250
    relations = [
        xrefs.select(
            src=pl.lit("UMLS:") + pl.col("CUI"),
            rel=pl.lit("xref"),
            dst=pl.col("SAB").replace_strict(XREF_SABS) + pl.lit(":") + local,
            source=pl.lit("umls:") + pl.col("SAB"),
        )
    ]
    rel_path = folder / "MRREL.RRF"
    if rel_path.exists():
        rel = _rrf(rel_path, MRREL).filter(pl.col("REL").is_in(["PAR", "CHD"]))
        child = pl.when(pl.col("REL") == "PAR").then(pl.col("CUI1")).otherwise(pl.col("CUI2"))
        parent = pl.when(pl.col("REL") == "PAR").then(pl.col("CUI2")).otherwise(pl.col("CUI1"))
        relations.append(
            rel.select(
                src=pl.lit("UMLS:") + child,
                rel=pl.lit("is_a"),
                dst=pl.lit("UMLS:") + parent,
                source=pl.lit("umls:") + pl.col("SAB"),
            ).filter(pl.col("src") != pl.col("dst"))
        )
    relations = pl.concat(relations).unique(["src", "rel", "dst"], maintain_order=True)
    return TermTables(concepts, synonyms, relations, versions={"umls": folder.name})
