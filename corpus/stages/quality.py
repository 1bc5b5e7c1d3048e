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


def failures(sig: pl.DataFrame, rules: QualityFilter) -> pl.Series:
    """Per row, the first rule broken ("quality: n_chars < 50") or null."""
    spaced = pl.col("cjk_ratio") < 0.5
    checks: list[tuple[pl.Expr, str]] = []

    def add(value, expr: pl.Expr, label: str) -> None:
        if value is not None:
            checks.append((expr, f"quality: {label} {value}"))

    add(rules.min_chars, pl.col("n_chars") < (rules.min_chars or 0), "n_chars <")
    add(rules.max_chars, pl.col("n_chars") > (rules.max_chars or 0), "n_chars >")
    add(rules.min_words, spaced & (pl.col("n_words") < (rules.min_words or 0)), "n_words <")
    add(rules.min_mean_word_len,
        spaced & (pl.col("mean_word_len") < (rules.min_mean_word_len or 0)), "mean_word_len <")
    add(rules.max_mean_word_len,
        spaced & (pl.col("mean_word_len") > (rules.max_mean_word_len or 0)), "mean_word_len >")
    add(rules.max_symbol_ratio, pl.col("symbol_ratio") > (rules.max_symbol_ratio or 0),
        "symbol_ratio >")
    add(rules.max_digit_ratio, pl.col("digit_ratio") > (rules.max_digit_ratio or 0),
        "digit_ratio >")
    add(rules.max_dup_line_frac, pl.col("dup_line_frac") > (rules.max_dup_line_frac or 0),
        "dup_line_frac >")
    if not checks:
        return pl.Series("failure", [None] * sig.height, pl.Utf8)
    expr = pl.when(checks[0][0]).then(pl.lit(checks[0][1]))
    for cond, label in checks[1:]:
        expr = expr.when(cond).then(pl.lit(label))
    return sig.select(expr.otherwise(pl.lit(None, pl.Utf8)).alias("failure")).to_series()
