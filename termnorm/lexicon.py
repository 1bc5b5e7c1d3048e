"""Compile a built terminology's synonyms into the Rust lexicon, and cache it beside the tables.

Which concepts take part: every vocabulary but ADAM (abbreviation senses are for expansion, not
mentions), no obsolete concepts, HPO only under Phenotypic abnormality (HP:0000118; the modifier,
inheritance and frequency branches are words like "mild" or "all"), MeSH without the branches
that name people, places and publication types. Terms that are plain English function words, or
shorter than 3 characters without being abbreviations, are left out.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import orjson
import polars as pl
import pyarrow as pa

from ontology import store
from ontology.graph import IsA
from ontology.schema import SENSE_INVENTORIES, SYNONYM_KINDS
from termnorm import clinical, learned
from termnorm._native import Engine
from termnorm_utils.files import atomic_path, write_atomic

# Names the normalization and the compiled file format: change it when either changes, so that
# caches derived under the old rules are not read.
VERSION = "lexicon-v8"

LEXICON_FILE = "lexicon.bin"
LEXICON_META = "lexicon.json"
DEFAULT_VOCAB_ORDER = (
    "MESH",
    "HP",
    "DOID",
    "ICD10CM",
    "ICD10BJ",
    "ICD9CM3BJ",
    "UMLS",
    "SNOMED",
    "OMOP",
    "OMIM",
)
EXCLUDED_VOCABS = SENSE_INVENTORIES
# Disease and phenotype vocabularies: a word they have as a term reads as clinical.
CLINICAL_VOCABS = r"^(HP|DOID|ICD10CM|ICD10BJ|OMIM|MONDO|SNOMED):"
MESH_EXCLUDED = (
    "Geographicals",
    "Publication Characteristics",
    "Named Groups",
    "Information Science",
    "Humanities",
    "Disciplines and Occupations",
    "Anthropology, Education, Sociology, and Social Phenomena",
    "Technology, Industry, and Agriculture",
    "Health Care",
)
STOP_TERMS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "i",
        "in",
        "is",
        "it",
        "its",
        "may",
        "me",
        "might",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "up",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "would",
        "you",
        "all",
        "other",
        "others",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "also",
        "well",
        "yes",
        "very",
        "left",
        "right",
        "total",
        "normal",
        "high",
        "low",
        "large",
        "small",
        "long",
        "short",
        "new",
        "old",
        "male",
        "female",
        "man",
        "men",
        "woman",
        "women",
        "patient",
        "patients",
        "child",
        "children",
        "adult",
        "time",
        "day",
        "days",
        "week",
        "weeks",
        "year",
        "years",
        "month",
        "months",
        "level",
        "levels",
        "rate",
        "report",
        "study",
        "result",
        "results",
        "case",
        "cases",
        "group",
        "groups",
        "type",
        "types",
        "form",
        "forms",
    ]
)


def _hp_phenotypes(relations: pl.DataFrame) -> set[str]:
    hp = relations.filter(pl.col("src").str.starts_with("HP:"))
    tree = IsA(hp)
    return set(tree.nodes.filter(pl.Series(tree.under(["HP:0000118"]))))


def select_rows(
    folder: str | Path, vocabs: list[str] | None = None, pairs: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """The concepts (`concept_id`, `name`, in vocabulary-preference order), the
    `(norm_term, concept, kind)` rows, `concept` indexing them, with the clinical layer
    (`termnorm.clinical`) and the learned pairs (`pairs`, by default the folder's own), and the
    terms that need a body-site cue."""
    extra = learned.as_synonyms(learned.read(folder) if pairs is None else pairs)
    order = [v.upper() for v in (vocabs or DEFAULT_VOCAB_ORDER)]
    concepts = store.scan(folder, "concepts").filter(
        ~pl.col("vocab").is_in(EXCLUDED_VOCABS) & ~pl.col("obsolete").fill_null(False)
    )
    if vocabs:
        concepts = concepts.filter(pl.col("vocab").is_in(order))
    concepts = (
        concepts.filter(
            (pl.col("vocab") != "MESH")
            | ~pl.col("semantic_types").list.eval(pl.element().is_in(MESH_EXCLUDED)).list.any()
        )
        .select(
            "concept_id",
            "vocab",
            "name",
            category=pl.when(pl.col("vocab") == "MESH").then(pl.col("semantic_types").list.first()),
        )
        .collect()
    )
    if "HP" in set(concepts["vocab"]):
        keep = _hp_phenotypes(store.scan(folder, "relations").collect())
        concepts = concepts.filter((pl.col("vocab") != "HP") | pl.col("concept_id").is_in(keep))
    rank = {v: i for i, v in enumerate(order)}
    concepts = concepts.with_columns(
        _r=pl.col("vocab").replace_strict(rank, default=len(order), return_dtype=pl.Int32),
        _i=pl.int_range(pl.len()),
    ).sort("_r", "_i")
    syn = store.scan(folder, "synonyms").select("concept_id", "norm_term", "kind").collect()
    concepts = concepts.select("concept_id", "name", "category")
    if extra is not None and extra.height:
        new = extra.filter(~pl.col("concept_id").is_in(concepts["concept_id"].implode()))
        concepts = pl.concat(
            [concepts, new.select("concept_id").unique(maintain_order=True)], how="diagonal"
        )
        syn = pl.concat([syn, extra.select("concept_id", "norm_term", "kind")])
    ids = concepts["concept_id"]
    index = pl.DataFrame(
        {"concept_id": ids, "concept": pl.int_range(len(ids), eager=True).cast(pl.UInt32)}
    )
    kinds = {k: i for i, k in enumerate(SYNONYM_KINDS)}
    rows = (
        syn.join(index, on="concept_id", how="inner", maintain_order="left")
        .with_columns(kind=pl.col("kind").replace_strict(kinds, return_dtype=pl.UInt8))
        .select("norm_term", "concept", "kind")
    )
    rows = rows.filter(
        ~pl.col("norm_term").is_in(list(STOP_TERMS))
        & (
            (pl.col("norm_term").str.len_chars() >= 3)
            | pl.col("kind").is_in([kinds["abbreviation"], kinds["learned"]])
            | pl.col("norm_term").str.contains(r"[\p{Han}]")
        )
    )
    categories = concepts.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("concept"), "category"
    )
    confirmed = syn.filter(pl.col("concept_id").str.contains(CLINICAL_VOCABS))["norm_term"]
    rows, cued = clinical.general_words(rows, categories, confirmed)
    senses = clinical.sense_rows(
        store.scan(folder, "synonyms"), store.scan(folder, "concepts").select("concept_id", "name")
    )
    rows = pl.concat([rows, clinical.added_rows(senses, rows, concepts)])
    return concepts.select("concept_id", "name"), rows, cued


def build_engine(concepts: pl.DataFrame, rows: pl.DataFrame, cued: list[str]) -> Engine:
    engine = Engine.build(
        concepts["concept_id"].to_list(),
        rows["norm_term"].to_arrow().cast(pa.large_string()),
        rows["concept"].to_arrow(),
        rows["kind"].to_arrow(),
        concepts["name"].to_list(),
    )
    use_cues(engine, cued)
    return engine


def use_cues(engine: Engine, cued: list[str]) -> None:
    """The engine keeps a mention of a `cued` term only with a body-site cue beside it."""
    ids = [t for t in map(engine.lookup, cued) if t is not None]
    engine.use_cues(ids, list(clinical.ANATOMY_CUES))


def _fingerprint(terminology: store.Terminology, vocabs: list[str] | None) -> str:
    return terminology.fingerprint(
        orjson.dumps(vocabs),
        VERSION.encode(),
        *(f.read_bytes() for f in clinical.RULE_FILES),
    )


def cache_paths(folder: Path, vocabs: list[str] | None) -> tuple[Path, Path]:
    """(meta, lexicon) files of one vocabulary selection: each selection keeps its own cache,
    so alternating selections (an eval on MeSH, then one on ICD-10-BJ) do not recompile."""
    if not vocabs:
        return folder / LEXICON_META, folder / LEXICON_FILE
    tag = hashlib.sha256(orjson.dumps(vocabs)).hexdigest()[:10]  # order is preference
    return (folder / f"lexicon-{tag}.json", folder / f"lexicon-{tag}.bin")


def load_or_compile(
    terminology: str | Path | store.Terminology, vocabs: list[str] | None = None
) -> Engine:
    """The cached lexicon when it matches the tables and vocabularies, else a fresh compile
    (saved beside the tables, atomically, when the folder is writable)."""
    terminology = store.Terminology.open(terminology)
    folder = terminology.folder
    fp = _fingerprint(terminology, vocabs)
    meta_path, bin_path = cache_paths(folder, vocabs)
    # the fuzzy index is built from this very lexicon: its file is named by the fingerprint,
    # so an index of an older lexicon is never read
    fuzzy_path = bin_path.with_name(f"{bin_path.stem}.{fp[:16]}.fuzzy")
    if meta_path.exists() and bin_path.exists():
        try:
            meta = orjson.loads(meta_path.read_bytes())
        except orjson.JSONDecodeError:
            meta = {}  # a damaged cache is a miss: compiled afresh and rewritten below
        if isinstance(meta, dict) and meta.get("fingerprint") == fp:
            try:
                engine = Engine.load(bin_path)
                engine.use_fuzzy_cache(fuzzy_path)
                use_cues(engine, meta.get("cued", []))
                return engine
            except ValueError:
                pass  # unreadable (older format, damaged): compile afresh below
    concepts, rows, cued = select_rows(terminology, vocabs)
    engine = build_engine(concepts, rows, cued)
    if os.access(folder, os.W_OK):
        for pattern in (f"{bin_path.stem}.*.fuzzy", f"{bin_path.stem}.*.tmp-*"):
            for old in folder.glob(pattern):
                old.unlink(missing_ok=True)
        engine.use_fuzzy_cache(fuzzy_path)
        with atomic_path(bin_path) as tmp:
            engine.save(tmp)
        meta = {
            "fingerprint": fp,
            "vocabs": vocabs,
            "terms": len(engine),
            "concepts": concepts.height,
            "cued": cued,
        }
        write_atomic(meta_path, orjson.dumps(meta, option=orjson.OPT_INDENT_2))
    return engine
