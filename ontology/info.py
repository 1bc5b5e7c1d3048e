"""Summaries and term search over a built terminology (polars over its Parquet files)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ontology import store
from termnorm_utils.errors import InputError


def summarize(folder: str | Path) -> dict:
    concepts = store.scan(folder, "concepts")
    synonyms = store.scan(folder, "synonyms").join(
        concepts.select("concept_id", "vocab"), on="concept_id", how="left"
    )
    relations = store.scan(folder, "relations")
    m = store.manifest(folder)

    def rows(lf: pl.LazyFrame, keys: list[str]) -> list[dict]:
        return lf.group_by(keys).agg(count=pl.len()).sort(keys).collect().to_dicts()

    return {
        "folder": str(folder),
        "versions": m.get("versions", {}),
        "concepts": concepts.select(pl.len()).collect().item(),
        "synonyms_total": synonyms.select(pl.len()).collect().item(),
        "relations": relations.select(pl.len()).collect().item(),
        "concepts_by_vocab": rows(concepts, ["vocab"]),
        "synonyms": rows(synonyms, ["vocab", "lang", "kind"]),
        "synonyms_by_lang": rows(synonyms, ["lang"]),
        "relations_by_rel": rows(relations, ["rel"]),
    }


def search(folder: str | Path, text: str, limit: int = 20, vocab: str | None = None) -> list[dict]:
    """Concepts whose normalized terms equal the normalized query, then those that contain it."""
    from ontology.build import normalize_terms

    q = normalize_terms(pl.Series([text]))[0]
    if not q:
        raise InputError("empty search text")
    syn = store.scan(folder, "synonyms")
    if vocab:
        syn = syn.filter(pl.col("concept_id").str.starts_with(vocab.upper() + ":"))
    hits = (
        syn.filter(pl.col("norm_term").str.contains(q, literal=True))
        .with_columns(exact=pl.col("norm_term") == q, length=pl.col("norm_term").str.len_chars())
        .sort(["exact", "length", "concept_id"], descending=[True, False, False])
        .unique("concept_id", keep="first", maintain_order=True)
        .head(limit)
        .join(
            store.scan(folder, "concepts").select("concept_id", "name"),
            on="concept_id",
            how="left",
            maintain_order="left",
        )
        .select("concept_id", "name", "term", "kind", "lang", "exact")
        .collect()
    )
    return hits.to_dicts()
