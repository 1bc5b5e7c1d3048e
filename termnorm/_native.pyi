"""Typed stubs for the Rust extension module `termnorm._native`, checked against the built
module by `tests/test_native_stubs.py` (mypy's stubtest)."""

import os
from collections.abc import Sequence
from typing import final

import pyarrow as pa
from typing_extensions import Self

__all__ = [
    "Deidentifier",
    "Engine",
    "Mention",
    "NormalizedText",
    "PHI_TYPES",
    "PHI_WORD_FLAGS",
    "QUALITY_SIGNALS",
    "SENSE_DROPS",
    "SENSE_KEEPS",
    "SYNONYM_KINDS",
    "SenseTable",
    "__version__",
    "clean_array",
    "exact_duplicates",
    "exact_keys",
    "jsonl_parse",
    "lsh_params",
    "minhash_band_keys",
    "minhash_bucket_candidates",
    "minhash_clusters",
    "minhash_roots",
    "minhash_signatures",
    "minhash_verify",
    "normalize",
    "normalize_array",
    "normalize_array_with_offsets",
    "quality_signals",
    "regex_set_matches",
    "remove_boilerplate",
    "sha256_hex",
]

__version__: str

@final
class NormalizedText:
    """Normalized text; every character remembers the original character span it came from."""

    @property
    def text(self) -> str: ...
    @property
    def spans(self) -> list[tuple[int, int]]:
        """Original `(start, end)` char span of each normalized char."""
    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original char span of the normalized char span `[start, end)`; ValueError if empty
        or out of range."""
    def __len__(self) -> int: ...

def normalize(text: str) -> NormalizedText:
    """NFKC, case folding, width, unified dashes/quotes/slashes, whitespace collapse, and Roman
    type numerals as digits ("Type II" -> "type 2", "Ⅱ型" -> "2型")."""

def normalize_array(texts: pa.Array) -> pa.LargeStringArray:
    """`normalize` over a whole Arrow string array (string, large_string or string_view);
    nulls stay null."""

def normalize_array_with_offsets(texts: pa.Array) -> pa.StructArray:
    """`{text, orig_start: list<uint32>, orig_end: list<uint32>}` per input string."""

@final
class Mention:
    """One mention of one text (`Engine.annotate`); a batch's mentions are the columns of
    `Engine.annotate_array`."""

    @property
    def start(self) -> int:
        """Original char offsets, `start` and `end`."""
    @property
    def end(self) -> int: ...
    @property
    def term(self) -> int:
        """The lexicon term (index)."""
    @property
    def concept(self) -> int:
        """The concept (index into `concept_ids`)."""
    @property
    def kind(self) -> int:
        """Index into `SYNONYM_KINDS`."""
    @property
    def negated(self) -> bool: ...
    @property
    def uncertain(self) -> bool: ...
    @property
    def historical(self) -> bool: ...
    @property
    def family(self) -> bool: ...
    @property
    def sense(self) -> int | None:
        """The abbreviation sense chosen, if any."""

@final
class Engine:
    """The lexicon (normalized terms -> concepts), context rules and, built on first use, the
    fuzzy index. Built from a terminology by `termnorm.lexicon`; the GIL is released while it
    works."""

    @staticmethod
    def build(
        concepts: list[str],
        terms: pa.Array,
        concept_index: pa.Array,
        kinds: pa.Array,
        names: list[str | None] | None = None,
    ) -> Engine:
        """From concept IDs (in vocabulary preference order) and parallel arrays of normalized
        terms (large_string), concept indices (uint32) and kinds (uint8); `names`: each
        concept's name, kept in the lexicon for output."""
    @staticmethod
    def load(path: str | os.PathLike[str]) -> Engine:
        """A lexicon file written by `save`, mapped and used in place (processes opening one
        file share its memory); ValueError if it is not one or is damaged. The file must not be
        rewritten in place while open: replace it by a rename, as `save` callers do."""
    def save(self, path: str | os.PathLike[str]) -> None: ...
    @property
    def concept_ids(self) -> pa.StringArray:
        """Concept IDs, indexed by the `concept` numbers elsewhere (a copy: take it once)."""
    @property
    def concept_names(self) -> pa.StringArray:
        """Each concept's name (null where it has none), parallel to `concept_ids`."""
    def __len__(self) -> int:
        """Number of distinct normalized terms."""
    def term(self, term: int) -> str: ...
    def entries(self, term: int) -> list[tuple[int, int]]:
        """`(concept, kind)` of a term, vocabulary preference first, then kind priority."""
    def lookup(self, norm_term: str) -> int | None:
        """Index of an exact normalized term."""
    def fuzzy(self, norm_term: str, k: int = 5, threshold: float = 0.5) -> list[tuple[int, float]]:
        """Up to `k` `(term, score)` near a normalized mention: word-order and inflection
        insensitive keys, one-edit word repairs, then a trigram search; score in [0, 1]."""
    def fuzzy_many(
        self, norm_terms: list[str], k: int = 5, threshold: float = 0.5
    ) -> list[list[tuple[int, float]]]:
        """`fuzzy` over many mentions in one call."""
    def use_fuzzy_cache(self, path: str | os.PathLike[str]) -> None:
        """Read the fuzzy index from `path` when first needed; write it there once built."""
    def use_senses(self, table: SenseTable, concepts: list[int] | None = None) -> None:
        """Choose abbreviation senses from `table` while annotating (the `sense` of a row);
        `concepts`, one per sense: the concept its mention carries, SENSE_DROPS (no mention)
        or SENSE_KEEPS (the term's own concept)."""
    def use_context(self, files: list[tuple[str, str]]) -> None:
        """Context triggers from the built-in rules plus `files`, (name, JSON text) pairs
        shaped like medspaCy's context_rules.json."""
    def use_cues(self, terms: list[int], cues: list[str]) -> None:
        """Keep a mention of one of `terms` only with a cue word right before or after it."""
    def annotate(self, text: str) -> tuple[str, list[Mention]]:
        """Normalized text and the mentions found in it, leftmost-longest on token edges."""
    def annotate_array(self, texts: pa.Array) -> tuple[pa.StructArray, pa.FixedSizeBinaryArray]:
        """A whole string array at once: one struct row per mention (doc, start, end, surface,
        term, concept, kind, sense (null: none chosen), negated, uncertain, historical,
        family), and each text's `exact_keys` key from the normalization done anyway."""

@final
class SenseTable:
    """Abbreviation senses, chosen per mention by their priors and the words around it."""

    def __new__(
        cls,
        senses: list[tuple[str, list[tuple[str, int]]]],
        window: int,
        learned: list[tuple[int, list[tuple[str, float]]]] | None = None,
    ) -> Self:
        """`senses`: (normalized short form, [(long form, frequency)]), each short form's
        options in preference order; a sense is named by its index over all. The long forms'
        content words (ASCII words of three chars up, stop words left out) are its cues.
        `window`: normalized chars either side of a mention whose words count. `learned`:
        (sense index, [(normalized word, weight)]): context words learned from notes."""
    def __len__(self) -> int: ...
    def choose(self, text: str, shorts: list[str], ats: list[int]) -> list[int | None]:
        """The sense of each normalized short form `shorts[i]` at char `ats[i]` of `text`;
        None for a short form the table lacks."""

def minhash_signatures(
    texts: pa.Array, num_perm: int = 128, ngram: int = 5, seed: int = 1
) -> pa.UInt32Array:
    """Row-major MinHash signatures (`len(texts) * num_perm` values) over word `ngram`
    shingles (CJK: characters); see `corpus.minhash`."""

def minhash_clusters(
    signatures: pa.UInt32Array,
    num_perm: int,
    threshold: float,
    exact_keys: pa.FixedSizeBinaryArray | None = None,
) -> pa.UInt32Array:
    """Near-duplicate cluster ID (smallest member index) per row; rows with equal `exact_keys`
    join one cluster whatever their signatures say. See `corpus.dedup`."""

def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) of LSH at `threshold` with `num_perm` values."""

def minhash_band_keys(
    signatures: pa.UInt32Array, docs: pa.UInt32Array, num_perm: int, threshold: float, buckets: int
) -> list[bytes]:
    """Per bucket, the 16-byte records (band u32, hash u64, doc u32, little-endian) of the LSH
    band keys of row-major `signatures`, `docs[i]` the document of row i; empty signatures
    have none. See `corpus.grouping`."""

def minhash_bucket_candidates(paths: Sequence[str | os.PathLike[str]]) -> pa.UInt32Array:
    """Candidate triples (doc, first, prev), flattened, of one bucket's band-key files."""

def minhash_verify(
    candidates: pa.UInt32Array,
    docs: pa.UInt32Array,
    signatures: pa.UInt32Array,
    num_perm: int,
    threshold: float,
) -> pa.UInt32Array:
    """The verified edges (flattened pairs) of candidate triples, on the signatures (row by row)
    of the sorted `docs`; candidates naming a document not in `docs` are left out."""

def minhash_roots(n: int, a: pa.UInt32Array, b: pa.UInt32Array) -> pa.UInt32Array:
    """Each document's cluster root (its smallest member) in `0..n` after joining `a[i]` and
    `b[i]` for every i."""

SYNONYM_KINDS: list[str]
"""Synonym kinds in priority order (lower is stronger); a term's `kind` indexes it."""
SENSE_DROPS: int
SENSE_KEEPS: int
QUALITY_SIGNALS: list[str]
"""The columns of `quality_signals`, in order."""
PHI_TYPES: list[str]
"""The PHI types in the order of the count columns (NAME, DATE, ..., LOCATION)."""
PHI_WORD_FLAGS: dict[str, int]
"""The bits of a word's kinds in the name and place recognizer (FIRST, LAST, TITLE, ...)."""

@final
class Deidentifier:
    """The PHI rules plus, when built with word lists, names and places by lexicon and cues;
    see `corpus.stages.phi`."""

    def __new__(
        cls,
        words: list[tuple[str, int, int]] | None = None,
        dictionary: list[str] | None = None,
        phrases: list[tuple[str, int]] | None = None,
        places: list[tuple[str, bool]] | None = None,
        zh_surnames: list[str] | None = None,
        zh_given: str | None = None,
        zh_before: list[str] | None = None,
        zh_after: list[str] | None = None,
        zh_title_parts: list[str] | None = None,
        zh_places: list[str] | None = None,
    ) -> Self: ...
    def find(self, text: str) -> list[tuple[int, int, str]]:
        """The identifiers of one text: (start, end, type), char offsets, in order."""
    def deidentify_array(
        self, texts: pa.Array, surrogates: bool = False, patients: pa.Array | None = None
    ) -> tuple[pa.LargeStringArray, pa.StructArray]:
        """Texts with PHI replaced by `[TYPE]` (or surrogates, consistent within a text or a
        patient's texts), and per-text counts by type."""

def exact_duplicates(texts: pa.Array) -> pa.UInt32Array:
    """Index of the first text with the same normalized content; see `corpus.dedup`."""

def sha256_hex(texts: pa.Array) -> pa.StringArray:
    """SHA-256 of each text's UTF-8 bytes, 64 lowercase hex digits (nulls stay null)."""

def exact_keys(texts: pa.Array) -> pa.FixedSizeBinaryArray:
    """16-byte exact-duplicate key per text (nulls stay null); see `corpus.dedup`."""

def quality_signals(texts: pa.Array) -> pa.StructArray:
    """Per text, the columns `QUALITY_SIGNALS`; see `corpus.stages.quality`."""

def remove_boilerplate(
    texts: pa.Array, min_docs: int, min_chars: int, copies: pa.UInt32Array | None = None
) -> tuple[pa.LargeStringArray, pa.UInt32Array]:
    """Texts without the lines (of at least `min_chars` chars) that recur in at least `min_docs`
    documents, text i standing for `copies[i]` of them (default 1), and the lines each lost;
    `large_string` texts come back uncopied where no line recurs. See `corpus.stages.clean`."""

def clean_array(texts: pa.Array) -> pa.LargeStringArray:
    """The clean stage over a string array; see `corpus.stages.clean`."""

def jsonl_parse(
    buf: bytes,
    first_line: int,
    source: str,
    text: str,
    id: str | None = None,
    meta: list[str] | None = None,
    start: int = 0,
    end: int | None = None,
) -> tuple[int, pa.StructArray, list[tuple[int, str, str]]]:
    """Whole JSON lines `buf[start:end]` numbered from `first_line`: lines read, the documents
    `{line, doc_id, id, text, meta}` (`doc_id`: `SOURCE#ID`, without an id `SOURCE:LINE`),
    `(line, reason, raw)` per rejected
    line; see `corpus.readers.jsonl`."""

def regex_set_matches(texts: pa.Array, patterns: list[str]) -> pa.UInt64Array:
    """Bit i of each text's mask: pattern i (at most 64, `regex` crate syntax) matches it; one
    pass a text; see `corpus.stages.tag`."""
