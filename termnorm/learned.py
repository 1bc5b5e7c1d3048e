"""Approved (mention, concept) pairs that last: the `learned` source of a terminology folder.

Pairs are counted by normalized mention; each mention keeps the concept most of its pairs give
(ties: the first given). A mention that is already a term of the terminology keeps its own
concepts unless at least `OVERRIDE_VOTES` pairs, two thirds of its pairs, say otherwise: one
noisy example ("hemochromatosis" once labelled T-cell lymphoma) does not move a term.

The votes (norm_term, concept_id, votes: every pair counted) sit beside the tables in the file
the manifest's `learned` entry names (with mentions, votes, sources, digest), so every lexicon
and cache derived from the folder sees them (their fingerprints cover the manifest).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polars as pl

from ontology import store
from ontology.schema import SENSE_INVENTORIES
from termnorm.text import fold_array

KEY = "learned"  # its manifest entry
OVERRIDE_VOTES = 2
OVERRIDE_SHARE = 2 / 3
SCHEMA = {"norm_term": pl.Utf8, "concept_id": pl.Utf8, "votes": pl.Int64, "pairs": pl.Int64}


def counts(pairs: Iterable[tuple[str, str]]) -> pl.DataFrame:
    """(norm_term, concept_id, votes) of `pairs`, in first-seen order."""
    rows = [(m, c) for m, c in pairs if m and m.strip() and c and c.strip()]
    if not rows:
        return pl.DataFrame(schema={k: SCHEMA[k] for k in ("norm_term", "concept_id", "votes")})
    mentions, ids = zip(*rows, strict=True)
    return (
        pl.DataFrame(
            {
                "norm_term": fold_array(list(mentions)).to_pylist(),
                "concept_id": [c.strip() for c in ids],
            }
        )
        .filter(pl.col("norm_term").str.len_chars() > 0)
        .group_by("norm_term", "concept_id", maintain_order=True)
        .agg(votes=pl.len().cast(pl.Int64))
    )


def decide(votes: pl.DataFrame, folder: str | Path) -> pl.DataFrame:
    """One concept per mention by majority (`SCHEMA` columns), without overriding the
    terminology's own synonyms on weak evidence."""
    if not votes.height:
        return pl.DataFrame(schema=SCHEMA)
    won = (
        votes.with_columns(pairs=pl.col("votes").sum().over("norm_term"))
        .sort("votes", descending=True, maintain_order=True)
        .group_by("norm_term", maintain_order=True)
        .first()
    )
    inventory = pl.col("concept_id").str.split(":").list.first().is_in(SENSE_INVENTORIES)
    own = (
        store.scan(folder, "synonyms")
        .select("norm_term", "concept_id")
        .filter(pl.col("norm_term").is_in(won["norm_term"].implode()) & ~inventory)
        .collect()
    )
    known = own.select("norm_term").unique()
    agrees = won.join(own, on=["norm_term", "concept_id"], how="semi")
    strong = (pl.col("votes") >= OVERRIDE_VOTES) & (
        pl.col("votes") >= OVERRIDE_SHARE * pl.col("pairs")
    )
    new_term = won.join(known, on="norm_term", how="anti")
    override = (
        won.join(known, on="norm_term", how="semi")
        .join(agrees, on=["norm_term", "concept_id"], how="anti")
        .filter(strong)
    )
    keep = pl.concat([new_term, agrees, override]).select(list(SCHEMA))
    order = won.select("norm_term").with_row_index("_i")
    return keep.join(order, on="norm_term").sort("_i").drop("_i")


def merged(*votes: pl.DataFrame) -> pl.DataFrame:
    """Vote tables (as `counts` gives them) added up, in first-seen order."""
    return (
        pl.concat(votes)
        .group_by("norm_term", "concept_id", maintain_order=True)
        .agg(pl.col("votes").sum())
    )


def raw_votes(folder: str | Path) -> pl.DataFrame:
    """Every vote saved so far (norm_term, concept_id, votes)."""
    table = store.added(folder, KEY)
    return counts(()) if table is None else table


def read(folder: str | Path) -> pl.DataFrame:
    """The folder's learned pairs as decided (`SCHEMA`), empty when it has none."""
    return decide(raw_votes(folder), folder)


def save(folder: str | Path, pairs: Iterable[tuple[str, str]], source: str) -> dict:
    """Add `pairs` to the folder's learned source (votes add up with earlier ones, also those
    another process saves meanwhile) and record it in the manifest. Returns the manifest's
    `learned` entry."""
    new = counts(pairs)

    def change(prior: pl.DataFrame | None, entry: dict) -> tuple[pl.DataFrame, dict]:
        votes = new if prior is None else merged(prior, new)
        return votes, {
            "mentions": decide(votes, folder).height,
            "votes": int(votes["votes"].sum()),
            "sources": [*entry.get("sources", []), source],
        }

    return store.update_table(folder, KEY, change)


def as_synonyms(table: pl.DataFrame) -> pl.DataFrame:
    """Learned pairs as lexicon synonym rows (concept_id, norm_term, kind)."""
    return table.select("concept_id", "norm_term", pl.lit("learned").alias("kind"))
