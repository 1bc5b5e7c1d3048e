"""Language of each document (ISO 639-1), and whether it mixes scripts substantially.

Chinese and English exactly, batch-wise in polars: `zh` when at least half of the letters are
CJK; `en` when Latin letters dominate and English function words make at least 8% of the words
(the, of, and, with, was, denies...: `quality.rs`; prose in other Latin-script languages does
not reach it).
The rest (telegraphic English such as "Normal LV systolic function.", other languages) goes to
lingua, a real detector, on its first 500 chars, among the languages below; `und` when it cannot
tell. `mixed_script`: CJK and Latin letters each at least 20% of the letters.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl
import pyarrow as pa

# Languages lingua chooses among (fewer languages: faster and fewer confusions on clinical text).
LINGUA_LANGUAGES = (
    "ENGLISH",
    "CHINESE",
    "FRENCH",
    "GERMAN",
    "SPANISH",
    "ITALIAN",
    "PORTUGUESE",
    "DUTCH",
    "RUSSIAN",
    "JAPANESE",
    "KOREAN",
    "ARABIC",
    "TURKISH",
    "POLISH",
    "SWEDISH",
    "DANISH",
    "VIETNAMESE",
    "INDONESIAN",
    "HINDI",
    "GREEK",
)
LINGUA_CHARS = 500


@lru_cache(maxsize=1)
def _lingua():
    from lingua import Language, LanguageDetectorBuilder

    langs = [getattr(Language, name) for name in LINGUA_LANGUAGES]
    # Low accuracy mode (trigram models only): loads in 0.15 s instead of 3 s, and on the
    # 500-char heads it is asked about it agrees with the full models.
    return LanguageDetectorBuilder.from_languages(*langs).with_low_accuracy_mode().build()


def detect(texts: pa.Array | pa.ChunkedArray, signals: pl.DataFrame) -> pl.DataFrame:
    """`lang` and `mixed_script` per text, from the quality signals of the same texts."""
    arr = texts if isinstance(texts, pa.Array) else texts.combine_chunks()
    cjk, latin = pl.col("cjk_ratio"), pl.col("latin_ratio")
    out = signals.select(
        pl.when(cjk >= 0.5)
        .then(pl.lit("zh"))
        .when((latin >= 0.5) & (pl.col("english_ratio") >= 0.08))
        .then(pl.lit("en"))
        .when(cjk + latin + pl.col("n_chars") > 0)
        .then(pl.lit(None, pl.Utf8))
        .otherwise(pl.lit("und"))
        .alias("lang"),
        ((cjk >= 0.2) & (latin >= 0.2)).alias("mixed_script"),
    )
    ask = out["lang"].is_null().arg_true().to_list()
    if not ask:
        return out
    heads = [arr[i].as_py()[:LINGUA_CHARS] for i in ask]
    found = _lingua().detect_languages_in_parallel_of(heads)
    codes = out["lang"].to_list()
    for i, lang in zip(ask, found, strict=True):
        codes[i] = lang.iso_code_639_1.name.lower() if lang is not None else "und"
    return out.with_columns(pl.Series("lang", codes, pl.Utf8))
