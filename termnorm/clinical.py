"""The clinical lexicon layer, compiled with the terminology's own synonyms:

- clinical shorthand (`rules/en_shorthand.tsv`, curated, one sense each) and the short forms of
  the clinical sense inventories (`clinabbr:` source) become abbreviation terms, whose concept is
  that of their sense (chosen per mention by `SenseTable`);
- everyday terms the terminologies lack (`rules/en_terms.tsv`: "diabetes", "abd pain");
- general English kept out: a single word as frequent as "procedure" in ordinary English
  (wordfreq) whose concept is a general one (a MeSH technique, psychological or physical
  phenomenon: procedure -> Methods, attention -> Attention) is no term; a frequent word naming a
  body region (back, hand, head) needs a body-site cue next to it (`ANATOMY_CUES`), which the
  engine checks per mention ("his back", "back pain", not "came back").

Long forms and names are mapped to concepts by their normalized name, the preferred vocabulary
first. Users extend the two rule tables by editing or by a `tsv:` source of their own.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ontology.schema import SYNONYM_KINDS
from termnorm.text import fold_array
from termnorm_utils.errors import InputError

RULES = Path(__file__).parent / "rules"
SHORTHAND_FILE = RULES / "en_shorthand.tsv"
TERMS_FILE = RULES / "en_terms.tsv"
RULE_FILES = (SHORTHAND_FILE, TERMS_FILE)  # a change to either compiles the lexicon afresh
INVENTORY_VOCAB = "CLINABBR"  # one of ontology.schema.SENSE_INVENTORIES

# A word this frequent in ordinary English (Zipf scale: 4.4 is about "procedure") is general
# language first; at 5.4 ("hand", "head", "back") a body region needs a cue beside it.
GENERAL_ZIPF = 4.4
CHEMICAL_ZIPF = 5.0  # lead, water, gold, air
ANATOMY_ZIPF = 5.4
# A short form as frequent as "or", "as", "us" is never an abbreviation term unless curated.
WORD_SF_ZIPF = 5.0
GENERAL_CATEGORIES = (
    "Psychiatry and Psychology",
    "Phenomena and Processes",
    "Analytical, Diagnostic and Therapeutic Techniques, and Equipment",
    "Organisms",
)
ANATOMY_CUES = (
    "his",
    "her",
    "their",
    "my",
    "the",
    "left",
    "right",
    "lower",
    "upper",
    "low",
    "mid",
    "entire",
    "whole",
    "both",
    "bilateral",
    "posterior",
    "anterior",
    "r",
    "l",
    "pain",
    "ache",
    "aches",
    "tenderness",
    "tender",
    "swelling",
    "injury",
    "mass",
    "lesion",
    "exam",
    "examination",
    "wound",
    "laceration",
    "rash",
    "surgery",
    "fracture",
    "x-ray",
    "mri",
    "ct",
    "deformity",
    "spasm",
    "stiffness",
)

SHORTHAND_FREQ = 10**9  # above any count in an inventory


def read_table(path: Path) -> tuple[tuple[str, str, str], ...]:
    """(term, means, source) rows of a rule table: tab-separated, `#` comments, a header. Read
    afresh each time (a few KB): an edit in a long-lived process is what the next compile and
    its fingerprint both see."""
    rows = []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith(("#", "short\t", "term\t")):
            continue
        cells = line.split("\t")
        if len(cells) != 3 or not all(c.strip() for c in cells):
            raise InputError(
                f"{path}:{no}: expected three tab-separated cells: term, meaning, source"
            )
        rows.append((cells[0].strip(), cells[1].strip(), cells[2].strip()))
    return tuple(rows)


def shorthand() -> dict[str, str]:
    """Curated short form -> long form."""
    return {s: long for s, long, _ in read_table(SHORTHAND_FILE)}


def _zipf(words: list[str]) -> list[float]:
    from wordfreq import zipf_frequency  # only when compiling a lexicon

    return [zipf_frequency(w, "en") for w in words]


def _name_index(rows: pl.DataFrame) -> pl.DataFrame:
    """norm_term -> its preferred concept (lowest index: the preferred vocabulary) among the
    terms that name a concept outright."""
    naming = [SYNONYM_KINDS.index(k) for k in ("preferred", "exact", "layperson", "related")]
    return (
        rows.filter(pl.col("kind").is_in(naming)).group_by("norm_term").agg(pl.col("concept").min())
    )


def _resolve(targets: pl.DataFrame, rows: pl.DataFrame, concepts: pl.DataFrame) -> pl.DataFrame:
    """`targets` (with a `means` column: a name or a concept ID) given their `concept` index."""
    norm = fold_array(targets["means"].to_list()).to_pylist()
    by_name = targets.with_columns(norm_means=pl.Series(norm, dtype=pl.Utf8)).join(
        _name_index(rows).rename({"norm_term": "norm_means"}),
        on="norm_means",
        how="left",
        maintain_order="left",
    )
    ids = concepts.select(
        pl.col("concept_id").alias("means"), pl.int_range(pl.len(), dtype=pl.UInt32).alias("by_id")
    )
    return (
        by_name.join(ids, on="means", how="left", maintain_order="left")
        .with_columns(concept=pl.coalesce("concept", "by_id"))
        .drop("norm_means", "by_id")
    )


def sense_rows(folder_synonyms: pl.LazyFrame, names: pl.LazyFrame) -> pl.DataFrame:
    """(short, long, freq) of the clinical inventories in the terminology, plus the curated
    shorthand (above every inventory count)."""
    inv = (
        folder_synonyms.filter(
            pl.col("concept_id").str.starts_with(INVENTORY_VOCAB + ":")
            & (pl.col("kind") == "abbreviation")
        )
        .join(names, on="concept_id")
        .select(
            pl.col("term").str.to_lowercase().alias("short"),
            pl.col("name").alias("long"),
            pl.col("freq").fill_null(1).cast(pl.Int64),
        )
        .collect()
    )
    cur = shorthand()
    mine = pl.DataFrame(
        {"short": list(cur), "long": list(cur.values()), "freq": [SHORTHAND_FREQ] * len(cur)},
        schema={"short": pl.Utf8, "long": pl.Utf8, "freq": pl.Int64},
    )
    return pl.concat([mine, inv])


def added_rows(senses: pl.DataFrame, rows: pl.DataFrame, concepts: pl.DataFrame) -> pl.DataFrame:
    """Lexicon rows (norm_term, concept, kind) for the clinical short forms whose senses name a
    concept (the most frequent such sense's concept) and for the everyday terms. `rows`: the
    terminology's own, which names resolve against."""
    abbr = SYNONYM_KINDS.index("abbreviation")
    lay = SYNONYM_KINDS.index("layperson")
    curated = set(shorthand())
    sf = senses.rename({"long": "means"})
    sf = _resolve(sf, rows, concepts).filter(pl.col("concept").is_not_null())
    shorts = sf["short"].unique().sort().to_list()
    common = {
        s
        for s, z in zip(shorts, _zipf(shorts), strict=True)
        if z >= WORD_SF_ZIPF and s not in curated
    }
    sf = (
        sf.filter(~pl.col("short").is_in(list(common)) & (pl.col("short").str.len_chars() >= 2))
        .sort("freq", "means", descending=[True, False], maintain_order=True)
        .group_by("short", maintain_order=True)
        .agg(pl.col("concept").first())
    )
    terms = pl.DataFrame(
        [r[:2] for r in read_table(TERMS_FILE)], schema=["term", "means"], orient="row"
    )
    terms = _resolve(terms, rows, concepts).filter(pl.col("concept").is_not_null())

    def rows_of(terms: list[str], concept: pl.Series, kind: int) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "norm_term": pl.Series(fold_array(terms).to_pylist(), dtype=pl.Utf8),
                "concept": concept,
                "kind": kind,
            }
        )

    everyday = rows_of(terms["term"].to_list(), terms["concept"], lay)
    short = rows_of(sf["short"].to_list(), sf["concept"], abbr)
    # an everyday term ("afib", "abx") matches in any case: no abbreviation row beside it
    out = pl.concat(
        [short.join(everyday, on="norm_term", how="anti", maintain_order="left"), everyday]
    )
    return out.with_columns(pl.col("concept").cast(pl.UInt32), pl.col("kind").cast(pl.UInt8))


def general_words(
    rows: pl.DataFrame, categories: pl.DataFrame, clinical_terms: pl.Series
) -> tuple[pl.DataFrame, list[str]]:
    """`rows` without general-English readings, and the frequent body-region words that need
    a cue (`ANATOMY_CUES`) next to them. `categories`: per concept index, its MeSH top category
    (`category`, null outside MeSH); `clinical_terms`: norm_terms a disease or phenotype
    vocabulary has too ("anxiety" is an HPO phenotype: not general, though MeSH files it under
    behaviour)."""
    # a pair a user approved ("learned") is theirs to keep
    single = rows.filter(
        pl.col("norm_term").str.contains(r"^[a-z][a-z']*$")
        & (pl.col("kind") != SYNONYM_KINDS.index("learned"))
    )
    words = single["norm_term"].unique().sort().to_list()
    zipf = pl.DataFrame(
        {"norm_term": words, "zipf": _zipf(words)},
        schema={"norm_term": pl.Utf8, "zipf": pl.Float64},
    )
    cand = (
        single.join(zipf, on="norm_term")
        .join(categories, on="concept", how="left")
        .filter(pl.col("zipf") >= GENERAL_ZIPF)
    )
    drop = cand.filter(
        (
            pl.col("category").is_in(GENERAL_CATEGORIES)
            | ((pl.col("category") == "Chemicals and Drugs") & (pl.col("zipf") >= CHEMICAL_ZIPF))
        )
        & ~pl.col("norm_term").is_in(clinical_terms.implode())
    )
    kept = rows.join(
        drop.select("norm_term", "concept", "kind"),
        on=["norm_term", "concept", "kind"],
        how="anti",
        maintain_order="left",
    )
    cued = (
        cand.filter((pl.col("category") == "Anatomy") & (pl.col("zipf") >= ANATOMY_ZIPF))[
            "norm_term"
        ]
        .unique()
        .sort()
        .to_list()
    )
    return kept, cued
