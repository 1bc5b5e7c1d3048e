"""Quality signals per document and the filters over them (Gopher-style rules, configurable).

Signals, one pass over each text in Rust (`rust_ext/core/src/quality.rs`): `n_chars`, `n_words`
(whitespace-separated), `mean_word_len`, `symbol_ratio` (chars that are neither letters, digits
nor whitespace, over all chars), `digit_ratio`, `dup_line_frac` (share of non-empty lines that
repeat an earlier line of the same document), and for the language stage `cjk_ratio`,
`latin_ratio` (over letters) and `english_ratio` (English function words over ASCII words).
Chinese and Japanese write no spaces between words: the word rules (count, mean length) apply
only to space-separated text (CJK under a tenth of the letters); other text is held to the
`*_cjk_*` limits instead of `min_chars` and the symbol and digit ratios (a Chinese char carries
about what a short English word does). CJK punctuation and PHI placeholders (`[NAME]`) count as
no symbols.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pyarrow as pa
from pydantic import Field

from corpus.batch import Batch, Stage
from corpus.options import Options
from corpus.stages import language
from termnorm import _native
from termnorm_utils.arrow import as_array

# the signals docs keep: the Latin and English ratios serve the language rules only
SIGNALS = tuple(s for s in _native.QUALITY_SIGNALS if s not in ("latin_ratio", "english_ratio"))


class QualityFilter(Options):
    """Documents outside these bounds are rejected with the rule they broke; a limit left out
    (or null in YAML) turns its rule off. Defaults follow Gopher's rules, loosened for clinical
    notes (short lines, many numbers and abbreviations)."""

    min_chars: int | None = Field(20, ge=0)
    """Fewest chars of space-separated text."""
    min_cjk_chars: int | None = Field(3, ge=0)
    """Fewest chars of CJK text (a Chinese char says about what a short English word does)."""
    max_chars: int | None = Field(None, ge=0)
    """Most chars of any text."""
    min_words: int | None = Field(5, ge=0)
    """Fewest words of space-separated text."""
    min_mean_word_len: float | None = Field(2.0, ge=0)
    """Shortest mean word length of space-separated text."""
    max_mean_word_len: float | None = Field(12.0, ge=0)
    """Longest mean word length of space-separated text."""
    max_symbol_ratio: float | None = Field(0.25, ge=0, le=1)
    """Largest share of symbols (not letters, digits, spaces, CJK punctuation, placeholders)."""
    max_cjk_symbol_ratio: float | None = Field(0.35, ge=0, le=1)
    """The same for CJK text, whose same content has ~1.5x the share."""
    max_digit_ratio: float | None = Field(0.4, ge=0, le=1)
    """Largest share of digits."""
    max_cjk_digit_ratio: float | None = Field(0.6, ge=0, le=1)
    """The same for CJK text."""
    max_dup_line_frac: float | None = Field(0.6, ge=0, le=1)
    """Largest share of lines that repeat an earlier line of the document (structured notes
    repeat order lines: "- hospice care" 26 times in one note; web spam repeats more)."""


def signals(texts: pa.Array | pa.ChunkedArray) -> pl.DataFrame:
    """One row per text with the signals above (nulls count as empty texts)."""
    return pl.from_arrow(pa.Table.from_struct_array(_native.quality_signals(as_array(texts))))


# (limit in QualityFilter, signal, comparison, the text it applies to: "spaced", "cjk" or both)
RULES: tuple[tuple[str, str, str, str | None], ...] = (
    ("min_chars", "n_chars", "<", "spaced"),
    ("min_cjk_chars", "n_chars", "<", "cjk"),
    ("max_chars", "n_chars", ">", None),
    ("min_words", "n_words", "<", "spaced"),
    ("min_mean_word_len", "mean_word_len", "<", "spaced"),
    ("max_mean_word_len", "mean_word_len", ">", "spaced"),
    ("max_symbol_ratio", "symbol_ratio", ">", "spaced"),
    ("max_cjk_symbol_ratio", "symbol_ratio", ">", "cjk"),
    ("max_digit_ratio", "digit_ratio", ">", "spaced"),
    ("max_cjk_digit_ratio", "digit_ratio", ">", "cjk"),
    ("max_dup_line_frac", "dup_line_frac", ">", None),
)
SPACED_MAX_CJK = 0.1  # the share of CJK letters up to which a text is space-separated


def failures(sig: pl.DataFrame, rules: QualityFilter) -> pl.Series:
    """Per row, the first rule broken ("quality: n_chars < 20") or null."""
    spaced = pl.col("cjk_ratio") < SPACED_MAX_CJK
    expr = None
    for limit_name, signal, op, script in RULES:
        limit = getattr(rules, limit_name)
        if limit is None:
            continue
        broken = pl.col(signal) < limit if op == "<" else pl.col(signal) > limit
        if script:
            broken = (spaced if script == "spaced" else ~spaced) & broken
        label = pl.lit(f"quality: {signal} {op} {limit}")
        expr = pl.when(broken).then(label) if expr is None else expr.when(broken).then(label)
    if expr is None:
        return pl.Series("failure", [None] * sig.height, pl.Utf8)
    return sig.select(expr.otherwise(pl.lit(None, pl.Utf8)).alias("failure")).to_series()


@dataclass(frozen=True)
class Quality(Stage):
    """The signals and language of each text, and with `rules` the documents outside them
    rejected (the rule they broke is the reason)."""

    rules: QualityFilter | None = None
    name = "quality"
    columns = ("lang", "mixed_script", *SIGNALS)

    def __call__(self, batch: Batch) -> None:
        sig = signals(batch.texts)
        lang = language.detect(batch.texts, sig)
        batch.per_text.update({k: lang[k].to_arrow() for k in ("lang", "mixed_script")})
        batch.per_text.update({k: sig[k].to_arrow() for k in SIGNALS})
        if self.rules is not None:
            batch.drop(failures(sig, self.rules).to_arrow())
