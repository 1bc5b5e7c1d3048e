"""Metadata tags a curator selects by: document type, specialty, year and region.

- `doc_type`: the input's own field when it has one (`doc_type`, `type`, `category`), else rules
  on the text: trial criteria (inclusion/exclusion criteria, 入选/排除标准), Q&A (Q:/A:, 问：/答：),
  abstract (two or more of BACKGROUND/METHODS/RESULTS/CONCLUSIONS, 目的/方法/结果/结论), note
  (a clinical section header: "CHIEF COMPLAINT:", "IMPRESSION:", 主诉：, 现病史：...), guideline
  ("clinical practice guideline", 指南, 专家共识), else `other`.
- `specialty`: from the concepts the document affirms (not negated, not family history): each
  concept under one of the branches below (MeSH disease categories, HPO organ systems, ICD-10
  chapters by code letter) counts for that specialty; the most counted wins when it has at least
  two mentions and 30% of those with a specialty. Null when the text does not say.
- `year`: from the input's date field (`date`, `note_date`, `visit_date`, ...), else the visit
  date written in the raw text: the first full date after a visit cue, else the first that no
  birth cue precedes (the PHI stage removes dates more specific than a year from the output, so
  only the year is kept).
- `region`: the input's field (`region`, `country`, `province`, `state`, `city`), if any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import orjson
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from corpus.batch import Batch, Stage
from ontology import store
from ontology.graph import IsA
from ontology.store import Terminology
from termnorm import _native

# Specialty -> branch roots in the terminologies; order breaks ties.
BRANCHES: dict[str, tuple[str, ...]] = {
    "oncology": ("MESH:D009369", "HP:0002664"),
    "cardiology": ("MESH:D002318", "HP:0001626"),
    "pulmonology": ("MESH:D012140", "HP:0002086"),
    "neurology": ("MESH:D009422", "HP:0000707"),
    "gastroenterology": ("MESH:D004066", "HP:0025031"),
    "endocrinology": ("MESH:D004700", "HP:0000818"),
    "psychiatry": ("MESH:D001523",),
    "infectious disease": ("MESH:D007239",),
    "nephrology/urology": ("MESH:D007674", "MESH:D014570", "MESH:D052801", "HP:0000119"),
    "obstetrics/gynecology": ("MESH:D005261", "MESH:D011248"),
    "hematology": ("MESH:D006425", "HP:0001871"),
    "dermatology": ("MESH:D012871", "HP:0001574"),
    "orthopedics/rheumatology": ("MESH:D009140", "HP:0033127"),
    "ophthalmology": ("MESH:D005128", "HP:0000478"),
    "otolaryngology": ("MESH:D010038", "HP:0000598"),
    "immunology": ("MESH:D007154", "HP:0002715"),
    "trauma": ("MESH:D014947",),
}
# ICD-10 chapters by the first letter of a code (CM and the Chinese edition alike).
ICD_LETTERS: dict[str, str] = {
    "A": "infectious disease",
    "B": "infectious disease",
    "C": "oncology",
    "E": "endocrinology",
    "F": "psychiatry",
    "G": "neurology",
    "I": "cardiology",
    "J": "pulmonology",
    "K": "gastroenterology",
    "L": "dermatology",
    "M": "orthopedics/rheumatology",
    "N": "nephrology/urology",
    "O": "obstetrics/gynecology",
    "S": "trauma",
    "T": "trauma",
}
ORDER = {name: i for i, name in enumerate(BRANCHES)}

DOC_TYPE_FIELDS = ("doc_type", "type", "category")
DATE_FIELDS = ("date", "note_date", "visit_date", "admission_date", "created", "published")
REGION_FIELDS = ("region", "country", "province", "state", "city")

# Section headers of clinical notes ("HISTORY OF PRESENT ILLNESS:", "主诉：").
NOTE_HEADERS = (
    "chief complaint",
    "history of present illness",
    "past medical history",
    "history",
    "subjective",
    "objective",
    "assessment",
    "plan",
    "impression",
    "findings",
    "physical exam",
    "physical examination",
    "review of systems",
    "medications",
    "allergies",
    "diagnosis",
    "preoperative diagnosis",
    "postoperative diagnosis",
    "procedure",
    "procedures performed",
    "indications",
    "discharge diagnosis",
    "hospital course",
    "social history",
    "family history",
    "主诉",
    "现病史",
    "既往史",
    "个人史",
    "家族史",
    "体格检查",
    "辅助检查",
    "入院诊断",
    "出院诊断",
    "初步诊断",
    "诊疗经过",
    "手术经过",
)
RULES: list[tuple[str, str]] = [
    ("trial_criteria", r"(?i)inclusion criteria|exclusion criteria|入选标准|纳入标准|排除标准"),
    ("qa", r"(?im)^\s*(?:q|question)\s*[:：]|问\s*[:：]|答\s*[:：]|医生回[复答]"),
    ("note", r"(?im)(?:^|[\n,.。])\s*(?:" + "|".join(NOTE_HEADERS) + r")\s*[:：]"),
    ("guideline", r"(?i)\bclinical practice guidelines?\b|\bthis guideline\b|指南|专家共识"),
]
ABSTRACT = (
    r"(?i)\bbackground\s*:",
    r"(?i)\bmethods?\s*:",
    r"(?i)\bresults?\s*:",
    r"(?i)\bconclusions?\s*:",
    r"目的[:：]",
    r"方法[:：]",
    r"结果[:：]",
    r"结论[:：]",
)
FULL_DATE = (
    r"\b(?:19|20)\d{2}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}/(?:19|20)\d{2}\b|"
    r"(?:19|20)\d{2}年\d{1,2}月"
)

# what comes just before a birth date, and before the date of the visit a note records
BIRTH_CUES = r"(?i:\bdate of birth|\bbirth ?date|\bborn\b|\bd\.?o\.?b\b\.?)|出生|生日"
VISIT_CUES = (
    r"(?i:\b(?:date of (?:service|visit|admission|discharge|exam|procedure|report)"
    r"|admission date|discharge date|visit date|service date|admitted|discharged"
    r"|seen|visit|encounter|dos)\b)|入院|出院|就诊|门诊|检查日期|报告日期|记录日期|手术日期"
)


def _ascii_b(pattern: str) -> str:
    """ASCII word boundaries: a Unicode `\b` keeps the regex engine off its fast DFA on
    non-ASCII text (the patterns put `\b` only beside Latin letters and digits)."""
    return pattern.replace(r"\b", r"(?-u:\b)")


# ABSTRACT's patterns, then RULES' in order: `doc_types` reads the bits in this order
DOC_TYPE_PATTERNS = [_ascii_b(p) for p in (*ABSTRACT, *(p for _, p in RULES))]


def doc_types(
    texts: pa.Array, given: list[str | None], text_of: np.ndarray | None = None
) -> pl.Series:
    """The input's own type (`given`, see `stated`), else the rules on the text; `text_of[i]`:
    the index in `texts` of document i's text (by default texts[i] is document i's)."""
    # every pattern in one pass over each text: bit i of a mask says pattern i matches
    masks = _native.regex_set_matches(texts, DOC_TYPE_PATTERNS).to_numpy(zero_copy_only=False)
    bit = [(masks >> np.uint64(i)) & np.uint64(1) for i in range(len(DOC_TYPE_PATTERNS))]
    ruled = np.full(len(masks), "other", dtype=object)
    for i in reversed(range(len(RULES))):  # the first rule that matches wins
        ruled[bit[len(ABSTRACT) + i] == 1] = RULES[i][0]
    ruled[sum(bit[: len(ABSTRACT)]) >= 2] = "abstract"
    ruled = pl.Series("doc_type", ruled if text_of is None else ruled[text_of], pl.Utf8)
    return pl.Series("doc_type", given, pl.Utf8).fill_null(ruled)


def years(raw: pa.Array, dates: list[str | None], text_of: np.ndarray | None = None) -> pl.Series:
    """The year of the input's date (`dates`, see `stated`: its first four digits, if they are a
    year of 19xx or 20xx), else of the raw text's visit date: the first full date after a visit
    cue ("admitted", "date of service", 入院), else the first not after a birth cue ("DOB",
    出生); `text_of` as for `doc_types`."""
    date = _ascii_b(FULL_DATE)
    # a cue, then up to 24 chars that are no digits (no other date between), then the date
    cue = _ascii_b(f"(?:{BIRTH_CUES}|{VISIT_CUES})[^\\n\\d]{{0,24}}?")
    dated = pl.col("text").str.extract_all(f"(?:{cue})?(?:{date})")
    visit = dated.list.eval(
        pl.element().filter(pl.element().str.contains(_ascii_b(f"^(?:{VISIT_CUES})")))
    ).list.first()
    other = dated.list.eval(
        pl.element().filter(~pl.element().str.contains(_ascii_b(f"^(?:{BIRTH_CUES})")))
    ).list.first()
    found = pl.DataFrame({"text": pl.Series(raw)}).select(
        pl.coalesce(visit, other).str.extract(f"({date})", 1).str.extract(r"((?:19|20)\d{2})", 1)
    )["text"]
    found = found if text_of is None else found.gather(text_of)
    digits = pl.Series("year", dates, pl.Utf8).str.extract(r"(\d{4})", 1)
    year = pl.when(digits.str.slice(0, 2).is_in(["19", "20"])).then(digits)
    return pl.select(year.otherwise(found).alias("year"))["year"]


def regions(meta: pa.Array) -> pl.Series:
    return pl.Series("region", stated(meta, REGION_FIELDS), pl.Utf8)


def stated(meta: pa.Array, names: tuple[str, ...]) -> list[str | None]:
    """Per document, the value of the first of `names` its metadata (a JSON object, or null)
    gives, as text; None where it gives none of them or only empty values. Only the documents
    whose metadata names one of the fields are parsed."""
    out: list[str | None] = [None] * len(meta)
    named = pc.match_substring_regex(meta, '"(?:' + "|".join(map(re.escape, names)) + ')"')
    for i in np.flatnonzero(named.fill_null(False).to_numpy(zero_copy_only=False)):
        record = orjson.loads(meta[i].as_py())
        out[i] = next((str(v) for v in map(record.get, names) if v not in (None, "")), None)
    return out


def _specialty_frame(ontology: str | Terminology) -> pl.DataFrame:
    """Concept ID -> specialty for every concept under a branch root (is_a closure in the
    terminology's relations), nearest branch order first; ICD-10 codes by their letter. Kept
    beside the terminology's tables (0.3 s to derive for the full terminology, 0.01 to read)."""
    rules = orjson.dumps([BRANCHES, ICD_LETTERS]).decode()
    return store.derived(ontology, "specialties", rules, lambda: _derive_specialties(ontology))


def _derive_specialties(ontology: str | Terminology) -> pl.DataFrame:
    folder = Path(ontology)
    relations = pl.read_parquet(folder / "relations.parquet", columns=["src", "dst", "rel"])
    tree = IsA(relations, extra=[r for rs in BRANCHES.values() for r in rs])
    nodes = tree.nodes
    branch = np.full(len(nodes), -1)
    for b, rs in reversed(list(enumerate(BRANCHES.values()))):  # earlier branches win
        branch[tree.under(rs)] = b
    names = np.array(list(BRANCHES), dtype=object)
    under = pl.DataFrame(
        {
            "concept_id": nodes.filter(pl.Series(branch >= 0)),
            "specialty": names[branch[branch >= 0]].tolist(),
        },
        schema={"concept_id": pl.Utf8, "specialty": pl.Utf8},
    )
    icd = (
        pl.scan_parquet(folder / "concepts.parquet")
        .filter(pl.col("vocab").is_in(["ICD10CM", "ICD10BJ"]))
        .select(
            "concept_id",
            pl.col("concept_id")
            .str.split(":")
            .list.get(1)
            .str.slice(0, 1)
            .replace_strict(ICD_LETTERS, default=None)
            .alias("specialty"),
        )
        .filter(pl.col("specialty").is_not_null())
        .collect()
    )
    icd = icd.join(under, on="concept_id", how="anti")
    return pl.concat([under, icd])


@lru_cache(maxsize=2)
def _specialty_codes(ontology: str | Terminology) -> dict[str, int]:
    """Concept ID -> index of its specialty in BRANCHES (ORDER)."""
    frame = _specialty_frame(ontology)
    return dict(
        zip(
            frame["concept_id"].to_list(),
            frame["specialty"].replace_strict(ORDER).to_list(),
            strict=True,
        )
    )


def specialties(
    doc_ids: pa.Array, mentions: pa.Table, ontology: str | Terminology | None, key: str = "doc_id"
) -> pl.Series:
    """Per document, the specialty its affirmed concepts point to (null when they do not);
    `mentions[key]` names the document (by default the sidecar's doc_id)."""
    n = len(doc_ids)
    if ontology is None or mentions.num_rows == 0:
        return pl.Series("specialty", [None] * n, pl.Utf8)
    # per distinct concept (the sidecar's dictionary), then per mention by its code
    concept = mentions.column("concept_id").combine_chunks()
    if not pa.types.is_dictionary(concept.type):
        concept = pc.dictionary_encode(concept)
    codes = _specialty_codes(ontology)
    of_value = np.array([codes.get(c, -1) for c in concept.dictionary.to_pylist()], np.int64)
    code = of_value[concept.indices.to_numpy(zero_copy_only=False)]
    doc = pc.index_in(mentions.column(key), value_set=doc_ids).to_numpy(zero_copy_only=False)
    affirmed = ~(mentions.column("negated").to_numpy() | mentions.column("family").to_numpy())
    keep = affirmed & (code >= 0) & ~np.isnan(doc)
    # mentions per (document, specialty); the most counted wins, ties by ORDER (argmax: first)
    width = len(BRANCHES)
    counts = np.bincount(
        doc[keep].astype(np.int64) * width + code[keep], minlength=n * width
    ).reshape(n, width)
    best = counts.argmax(axis=1)
    top = counts[np.arange(n), best]
    won = (top >= 2) & (top >= 0.3 * counts.sum(axis=1))
    names = np.array(list(BRANCHES), dtype=object)
    return pl.Series("specialty", np.where(won, names[best], None).tolist(), pl.Utf8)


@dataclass(frozen=True)
class Tag(Stage):
    """Document type (the metadata's, else by the rules), specialty (from the mentions, when
    they were found), year (the metadata's date, else the raw text's) and region."""

    ontology: Terminology | None = None
    name = "tag"
    columns = ("doc_type", "specialty", "year", "region")

    def __call__(self, batch: Batch) -> None:
        meta = batch.column("meta")
        batch.per_doc["doc_type"] = doc_types(
            batch.texts, stated(meta, DOC_TYPE_FIELDS), batch.of
        ).to_arrow()
        found = batch.mentions
        if found is not None:  # per distinct text, as its mentions are
            texts = pa.array(np.arange(len(batch.texts)), found.column("doc").type)
            specialty = specialties(texts, found, self.ontology, key="doc").gather(batch.of)
        else:
            specialty = pl.Series("specialty", [None] * len(batch), pl.Utf8)
        batch.per_doc["specialty"] = specialty.to_arrow()
        batch.per_doc["year"] = years(batch.raw, stated(meta, DATE_FIELDS), batch.raw_of).to_arrow()
        batch.per_doc["region"] = regions(meta).to_arrow()
