"""Quality signals per document and the filters over them (Gopher-style rules, configurable).

Signals, computed for a whole batch in polars (Rust), no Python loop per document:
`n_chars`, `n_words` (whitespace-separated), `mean_word_len`, `symbol_ratio` (chars that are
neither letters, digits, spaces nor CJK, over all chars), `digit_ratio`, `dup_line_frac` (share of
non-empty lines that repeat an earlier line of the same document) and `cjk_ratio` (CJK chars over
letters, used by the language stage). Word rules (length, mean word length) apply only to text
that is not mostly CJK, which has no spaces between words.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pyarrow as pa

SIGNALS = ("n_chars", "n_words", "mean_word_len", "symbol_ratio", "digit_ratio", "dup_line_frac",
           "cjk_ratio")
CJK = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]"


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
    t = pl.col("text").fill_null("")
    n = t.str.len_chars()
    words = t.str.split(" ").list.eval(pl.element().str.strip_chars()).list.eval(
        pl.element().filter(pl.element() != ""))
    lines = t.str.split("\n").list.eval(
        pl.element().str.strip_chars().filter(pl.element() != ""))
    letters = t.str.count_matches(r"\p{L}")
    cjk = t.str.count_matches(CJK)
    frame = pl.DataFrame({"text": pl.Series(texts if isinstance(texts, pa.Array)
                                            else texts.combine_chunks())})
    return frame.select(
        n.alias("n_chars"),
        words.list.len().alias("n_words"),
        (words.list.eval(pl.element().str.len_chars()).list.mean().fill_null(0.0))
        .alias("mean_word_len"),
        _ratio(t.str.count_matches(r"[^\p{L}\p{N}\s]"), n).alias("symbol_ratio"),
        _ratio(t.str.count_matches(r"\p{N}"), n).alias("digit_ratio"),
        _ratio(lines.list.len() - lines.list.n_unique(), lines.list.len()).alias("dup_line_frac"),
        _ratio(cjk, letters).alias("cjk_ratio"),
    )


def _ratio(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return pl.when(b > 0).then(a.cast(pl.Float64) / b).otherwise(0.0)


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
