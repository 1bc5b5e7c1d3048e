"""GNU Health's Chinese labels (`gnuhealth-zh/`: `who_eml_medicaments_zh.tsv`,
`lab_analytes_zh.tsv`): the WHO essential medicines and a lab panel, each Chinese name beside its
English one.

Their Chinese names join other sources' concepts by evidence (`ATTACHMENTS`): a medicine's
English INN name (`active_component_en`, and each name of "epinephrine (adrenaline)") as a term
of a MeSH chemical or drug (异烟肼 -> MeSH Isoniazid, source `gnuhealth:name`); an analyte's
English name as a term of a MeSH chemical or a diagnostic technique, or of HPO. What no other
source names (a fixed-dose combination, "乙胺丁醇+异烟肼+利福平") keeps a `GNUHEALTH:` concept
of its own. The Chinese is a community translation, some of it loose (笑气 for nitrous oxide):
its names are `related` synonyms, not preferred names. Lab names lose the abbreviation they
carry in brackets (血小板计数(PLT) -> 血小板计数).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from ontology.errors import SourceError
from ontology.io import read_folder_table
from ontology.schema import TermTables, typed_concepts

MEDICINES = "who_eml_medicaments_zh.tsv"
ANALYTES = "lab_analytes_zh.tsv"
FOLDER = "a GNU Health labels folder"
DRUGS = ["MESH/Chemicals and Drugs"]
LAB = [
    "MESH/Chemicals and Drugs",
    "MESH/Analytical, Diagnostic and Therapeutic Techniques, and Equipment",
    "HP",
]
BRACKETS = re.compile(r"\s*[(（][^)）]*[)）]\s*")


def names_of(english: str) -> list[str]:
    """An English name and the names inside it: "epinephrine (adrenaline)" -> itself,
    epinephrine, adrenaline."""
    inner = re.findall(r"[(（]([^)）]+)[)）]", english)
    outer = BRACKETS.sub(" ", english).strip()
    return list(dict.fromkeys(n for n in [english, outer, *inner] if n.strip()))


def load(path: str | Path) -> TermTables:
    folder = Path(path)
    meds = read_folder_table(
        folder,
        MEDICINES,
        [
            "medicament_id",
            "active_component_en",
            "active_component_zh",
            "product_name_en",
            "product_name_zh",
        ],
        FOLDER,
    )
    labs = read_folder_table(folder, ANALYTES, ["analyte_id", "name_en", "name_zh"], FOLDER)
    rows, concepts, ids, lab_ids = [], {}, {}, {}
    for mid, en, zh, product_en, product in meds.iter_rows():
        if not en or not zh:
            continue
        # the products of one medicine (its strengths and forms) are one concept
        own = ids.setdefault(en.lower(), f"GNUHEALTH:{mid}")
        concepts.setdefault(own, (en, "drug"))
        # a product's name is the medicine's only when it names that medicine: some rows
        # carry another product's name (retinol's row, "acetazolamide")
        same = (product_en or "").strip().lower() == en.strip().lower()
        for term in dict.fromkeys(t for t in (zh, product if same else None) if t):
            rows.append((own, term, names_of(en), DRUGS))
    for aid, en, zh in labs.iter_rows():
        term = BRACKETS.sub("", zh or "").strip()
        if not en or len(term) < 2:
            continue
        own = lab_ids.setdefault(en.lower(), f"GNUHEALTH:{aid}")  # one analyte, several rows
        concepts.setdefault(own, (en, "lab"))
        rows.append((own, term, names_of(en), LAB))
    if not rows:
        raise SourceError(folder, None, "gnuhealth: no medicine or analyte with both names")
    attachments = pl.DataFrame(
        rows, schema=["own_id", "term", "names", "targets"], orient="row"
    ).with_columns(
        lang=pl.lit("zh"),
        kind=pl.lit("related"),
        source=pl.lit("gnuhealth"),
        codes=pl.lit([], pl.List(pl.Utf8)),
    )
    concept_table = typed_concepts(
        [(cid, name, kind) for cid, (name, kind) in concepts.items()], "GNUHEALTH", "en"
    )
    return TermTables(
        concepts=concept_table,
        attachments=attachments,
        versions={"gnuhealth": "gnuhealth-who-essential-medicines 5.0.4, gnuhealth-lab 5.0.4"},
        fallback_concepts=True,
    )
