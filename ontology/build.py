"""Build a terminology folder from sources: load, merge, normalize terms, write atomically.

The output folder holds concepts.parquet, synonyms.parquet, relations.parquet and manifest.json.
Everything is written into a temporary sibling folder, fsynced, and renamed into place, so a
crash leaves either the previous build or the new one, never half of one. Same inputs give
byte-identical files (no timestamps; row order follows the sources' order).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import polars as pl
import pyarrow as pa

from ontology.crosswalk import crosswalk
from ontology.errors import SourceError
from ontology.loaders import Source
from ontology.schema import SENSE_INVENTORIES, SYNONYM_KINDS, SYNONYMS, TermTables
from ontology.store import MANIFEST, TABLE_FILES, table_path
from termnorm import _native
from termnorm_utils.arrow import as_array
from termnorm_utils.errors import InputError
from termnorm_utils.files import fsync_path

FORMAT_VERSION = 1


def normalize_terms(terms: pl.Series) -> pl.Series:
    """Normalized form of every term, the whole column crossing into Rust once."""
    out = _native.normalize_array(as_array(terms.to_arrow()))
    return pl.Series(terms.name, pa.array(out), dtype=pl.Utf8)


def merge(parts: list[TermTables]) -> tuple[TermTables, dict]:
    """One set of tables: concepts unique by ID (the first defining source wins, placeholder
    concepts of local dictionaries last), synonyms with `norm_term`, relations unique."""
    ordered = [p for p in parts if not p.fallback_concepts] + [
        p for p in parts if p.fallback_concepts
    ]
    merged = TermTables.concat(ordered)
    concepts = merged.concepts.filter(pl.col("concept_id").is_not_null()).unique(
        "concept_id", keep="first", maintain_order=True
    )
    syn = merged.synonyms.filter(pl.col("term").is_not_null())
    syn = syn.with_columns(norm_term=normalize_terms(syn["term"]))
    if merged.attachments.height:
        attached = _attach(merged.attachments, concepts, syn)
        syn = pl.concat([syn, attached])
        own = merged.attachments["own_id"].drop_nulls().unique().implode()
        concepts = concepts.filter(
            ~pl.col("concept_id").is_in(own)
            | pl.col("concept_id").is_in(attached["concept_id"].implode())
        )
    # A term listed twice for a concept by one source (an FSN and a synonym, say) keeps the
    # strongest kind only.
    rank = pl.col("kind").replace_strict({k: i for i, k in enumerate(SYNONYM_KINDS)})
    syn = (
        syn.filter(pl.col("norm_term") != "")
        .with_columns(_rank=rank, _row=pl.int_range(pl.len()))
        .sort("_rank", "_row")
        .unique(["concept_id", "term", "lang", "source"], keep="first")
        .sort("_row")
        .drop("_rank", "_row")
    )
    known = concepts["concept_id"].implode()
    orphans = syn.filter(~pl.col("concept_id").is_in(known))
    syn = syn.filter(pl.col("concept_id").is_in(known))
    rel = (
        pl.concat([merged.relations, crosswalk(concepts, normalize_terms)])
        .filter(pl.col("src") != pl.col("dst"))
        .unique(["src", "rel", "dst"], keep="first", maintain_order=True)
    )
    stats = {"synonyms_without_concept": orphans.height}
    return TermTables(concepts, syn, rel, versions=merged.versions), stats


def _attach(att: pl.DataFrame, concepts: pl.DataFrame, syn: pl.DataFrame) -> pl.DataFrame:
    """Synonym rows for `att` (`ATTACHMENTS`): each term on the concept a name of it names
    within one of its codes, else the first of its codes that is a concept, else the concept a
    name of it names (the first in concept order; not an abbreviation-sense inventory's), else
    its own concept; the evidence in `source`."""
    vocab = pl.col("concept_id").str.split(":").list.first()
    order = concepts.select(
        "concept_id",
        _c=pl.int_range(pl.len()),
        _tags=pl.concat_list(
            vocab, vocab + "/" + pl.col("semantic_types").list.first().fill_null("")
        ),
    )
    a = att.with_row_index("_a")

    def first_hit(col: str, lookup: pl.DataFrame, under_code: bool = False) -> pl.DataFrame:
        cand = (
            a.select("_a", "targets", pl.col(col).alias("key"))
            .explode("key")
            .with_columns(_p=pl.int_range(pl.len()).over("_a"))
            .filter(pl.col("key").is_not_null())
        )
        if col == "names":
            cand = cand.with_columns(key=normalize_terms(cand["key"]))
        hits = cand.join(lookup, on="key").join(order, on="concept_id")
        allowed = pl.col("targets").is_null() | (
            pl.col("_tags").list.set_intersection(pl.col("targets")).list.len() > 0
        )
        hits = hits.filter(allowed)
        if under_code:  # a concept the name names within one of the row's codes
            codes = a.select("_a", code="codes").explode("code").drop_nulls("code")
            hits = hits.join(codes, on="_a").filter(
                pl.col("concept_id").str.starts_with(pl.col("code"))
            )
        return (
            hits.sort("_a", "_p", "_c")
            .group_by("_a", maintain_order=True)
            .agg(pl.col("concept_id").first().alias("hit"))
        )

    by_code = first_hit("codes", order.select(pl.col("concept_id").alias("key"), "concept_id"))
    named = (
        syn.filter(~vocab.is_in(SENSE_INVENTORIES) & (pl.col("norm_term") != ""))
        .select(pl.col("norm_term").alias("key"), "concept_id")
        .unique()
    )
    by_name = first_hit("names", named)
    # "心房颤动" (I48) is ICD10BJ:I48xx04 itself, more than the code's category I48
    coded_name = first_hit("names", named, under_code=True)
    out = (
        a.join(coded_name.rename({"hit": "_coded"}), on="_a", how="left")
        .join(by_code.rename({"hit": "_code"}), on="_a", how="left")
        .join(by_name.rename({"hit": "_name"}), on="_a", how="left")
        .with_columns(_code=pl.coalesce("_coded", "_code"))
        .sort("_a")
        .filter(pl.coalesce("_code", "_name", "own_id").is_not_null())
    )
    out = out.select(
        concept_id=pl.coalesce("_code", "_name", "own_id"),
        term="term",
        lang="lang",
        kind="kind",
        source=pl.col("source")
        + pl.when(pl.col("_code").is_not_null())
        .then(pl.lit(":code"))
        .when(pl.col("_name").is_not_null())
        .then(pl.lit(":name"))
        .otherwise(pl.lit("")),
        freq=pl.lit(None, pl.Int64),
    )
    out = out.with_columns(norm_term=normalize_terms(out["term"]))
    # a term another source has keeps its meanings there: a noisy source adds none ("结肠"
    # listed as an alias of radiation enteritis stays the colon)
    has = named.rename({"key": "norm_term", "concept_id": "_has"})
    clash = (
        out.with_row_index("_r")
        .join(has, on="norm_term")
        .group_by("_r")
        .agg((pl.col("_has") == pl.col("concept_id")).any().alias("ok"))
        .filter(~pl.col("ok"))["_r"]
    )
    out = out.with_row_index("_r").filter(~pl.col("_r").is_in(clash.implode())).drop("_r")
    # a term some row put on another source's concept keeps no own concept beside it
    placed = out.filter(~pl.col("concept_id").is_in(att["own_id"].drop_nulls().unique().implode()))
    out = out.filter(
        pl.col("concept_id").is_in(placed["concept_id"].unique().implode())
        | ~pl.col("norm_term").is_in(placed["norm_term"].unique().implode())
    )
    return out.select(list(SYNONYMS))


def _files_of(path: str) -> list[Path]:
    p = Path(path)
    return sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _counts(t: TermTables) -> dict:
    return {
        "concepts": t.concepts.height,
        "synonyms": t.synonyms.height,
        "relations": t.relations.height,
        "concepts_by_vocab": dict(t.concepts.group_by("vocab").len().sort("vocab").iter_rows()),
    }


def build(
    out: str | Path,
    sources: list[Source],
    on_source: Callable[[Source, float], None] | None = None,
) -> dict:
    """Load `sources`, merge, and write the terminology folder `out`. Returns the manifest."""
    if not sources:
        raise InputError("no sources given")
    out = Path(out)
    if out.exists() and (
        not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST).exists())
    ):
        raise SourceError(out, None, "exists and is not a terminology folder; refusing to replace")
    parts, inputs = [], []
    for src in sources:
        t0 = time.perf_counter()
        parts.append(src.load())
        inputs.append(
            {
                "source": str(src),
                "files": [
                    {"path": str(f), "bytes": f.stat().st_size, "sha256": _sha256(f)}
                    for f in _files_of(src.path)
                ],
            }
        )
        if on_source:
            on_source(src, time.perf_counter() - t0)
    tables, stats = merge(parts)
    manifest = {
        "format_version": FORMAT_VERSION,
        "termnorm_version": _native.__version__,
        "inputs": inputs,
        "versions": dict(sorted(tables.versions.items())),
        "counts": _counts(tables) | stats,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        for name in TABLE_FILES:
            path = table_path(tmp, name)
            getattr(tables, name).write_parquet(path, compression="zstd", statistics=True)
            fsync_path(path)
        (tmp / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        fsync_path(tmp / MANIFEST)
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _swap_into_place(tmp: Path, out: Path) -> None:
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.rename(out, old)
    os.rename(tmp, out)
    fsync_path(out.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
