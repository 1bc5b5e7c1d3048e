"""Human Disease Ontology report TSVs: HumanDO.tsv (id, label, parent label) plus the xref
reports (allXREFinDO.tsv, or the per-vocabulary *inDO.tsv files) in the same folder.

Parents are given by label, so they are resolved to IDs through the labels of the file itself;
xrefs (MIM, MESH, UMLS_CUI, SNOMEDCT_US_<date>, ICD10CM, ...) become `xref` relations with our
CURIE prefixes, which is what connects OMIM and MeSH through DOID.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ontology.curie import canonical_expr
from ontology.errors import SourceError
from ontology.io import read_table
from ontology.schema import TermTables


def load(path: str | Path) -> TermTables:
    folder = Path(path)
    main = folder / "HumanDO.tsv" if folder.is_dir() else folder
    folder = main.parent
    do = read_table(main, ["id", "label", "subClassOf"], separator="\t", quote_char='"')
    do = do.filter(pl.col("id").fill_null("") != "")

    xref_files = [folder / "allXREFinDO.tsv"]
    if not xref_files[0].exists():
        xref_files = sorted(p for p in folder.glob("*inDO.tsv"))
    xrefs = []
    for f in xref_files:
        x = read_table(f, ["id", "label"], separator="\t", quote_char='"')
        col = "xref" if "xref" in x.columns else "xrefs"
        if col not in x.columns:
            raise SourceError(f, 1, "missing column xref (or xrefs)")
        xrefs.append(x.select("id", "label", xref=pl.col(col)))
    xref = pl.concat(xrefs) if xrefs else pl.DataFrame(schema=["id", "label", "xref"])

    # The report leaves out a few IDs (the root, DOID:4 "disease") that the xref reports have.
    labels = pl.concat([do.select("id", "label"), xref.select("id", "label")]).unique(
        "id", keep="first", maintain_order=True
    )
    concepts = labels.select(
        concept_id=pl.col("id"),
        vocab=pl.lit("DOID"),
        name=pl.col("label"),
        lang=pl.lit("en"),
        obsolete=pl.lit(False),
    )
    synonyms = concepts.select(
        "concept_id",
        term=pl.col("name"),
        lang=pl.lit("en"),
        kind=pl.lit("preferred"),
        source=pl.lit("doid"),
    )
    by_label = labels.select(subClassOf=pl.col("label"), dst=pl.col("id")).unique(
        "subClassOf", keep="first", maintain_order=True
    )
    parents = do.filter(pl.col("subClassOf").fill_null("") != "").join(
        by_label, on="subClassOf", how="left"
    )
    unresolved = parents.filter(pl.col("dst").is_null())
    if unresolved.height:
        row = unresolved.row(0, named=True)
        raise SourceError(
            main,
            None,
            f"{row['id']}: parent label {row['subClassOf']!r} "
            "is not the label of any DOID in the folder's files",
        )
    relations = pl.concat(
        [
            parents.select(src=pl.col("id"), rel=pl.lit("is_a"), dst="dst", source=pl.lit("doid")),
            xref.filter(pl.col("xref").str.contains(":")).select(
                src=pl.col("id"),
                rel=pl.lit("xref"),
                dst=canonical_expr("xref"),
                source=pl.lit("doid"),
            ),
        ]
    ).unique(maintain_order=True)
    return TermTables(concepts, synonyms, relations, versions={"doid": main.name})
