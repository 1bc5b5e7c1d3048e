"""Quality signals per document and the filters over them (Gopher-style rules, configurable).

Signals, one pass over each text in Rust (`rust_ext/core/src/quality.rs`): `n_chars`, `n_words`
(whitespace-separated), `mean_word_len`, `symbol_ratio` (chars that are neither letters, digits
nor whitespace, over all chars), `digit_ratio`, `dup_line_frac` (share of non-empty lines that
repeat an earlier line of the same document), and for the language stage `cjk_ratio`,
`latin_ratio` (over letters) and `english_ratio` (English function words over ASCII words).
Word rules (count, mean length) apply only to text that is not mostly CJK, which has no spaces
between words.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from termnorm import _native
from termnorm.text import _as_array

SIGNALS = ("n_chars", "n_words", "mean_word_len", "symbol_ratio", "digit_ratio", "dup_line_frac",
           "cjk_ratio")


@dataclass(frozen=True)
class QualityFilter:
    """Documents outside these bounds are rejected with the rule they broke; None turns a rule
    off. Defaults follow Gopher's rules, loosened for clinical notes (short lines, many
    numbers and abbreviations)."""

    min_chars: int | None = 20
    max_chars: int | None = None
    min_words: int | None = 5
    min_mean_word_len: float | None = 2.0
    max_mean_word_len: float | None = 12.0
    max_symbol_ratio: float | None = 0.25
    max_digit_ratio: float | None = 0.4
    max_dup_line_frac: float | None = 0.5


def signals(texts: pa.Array | pa.ChunkedArray) -> pl.DataFrame:
    """One row per text with the signals above (nulls count as empty texts)."""
    return pl.from_arrow(pa.Table.from_struct_array(_native.quality_signals(_as_array(texts))))


# (limit in QualityFilter, signal, comparison, a word rule: not applied to mostly-CJK text)
RULES: tuple[tuple[str, str, str, bool], ...] = (
    ("min_chars", "n_chars", "<", False),
    ("max_chars", "n_chars", ">", False),
    ("min_words", "n_words", "<", True),
    ("min_mean_word_len", "mean_word_len", "<", True),
    ("max_mean_word_len", "mean_word_len", ">", True),
    ("max_symbol_ratio", "symbol_ratio", ">", False),
    ("max_digit_ratio", "digit_ratio", ">", False),
    ("max_dup_line_frac", "dup_line_frac", ">", False),
)


def failures(sig: pl.DataFrame, rules: QualityFilter) -> pl.Series:
    """Per row, the first rule broken ("quality: n_chars < 20") or null."""
    spaced = pl.col("cjk_ratio") < 0.5
    expr = None
    for limit_name, signal, op, word_rule in RULES:
        limit = getattr(rules, limit_name)
        if limit is None:
            continue
        broken = pl.col(signal) < limit if op == "<" else pl.col(signal) > limit
        if word_rule:
            broken = spaced & broken
        label = pl.lit(f"quality: {signal} {op} {limit}")
        expr = pl.when(broken).then(label) if expr is None else expr.when(broken).then(label)
    if expr is None:
        return pl.Series("failure", [None] * sig.height, pl.Utf8)
    return sig.select(expr.otherwise(pl.lit(None, pl.Utf8)).alias("failure")).to_series()
