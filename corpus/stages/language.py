"""Language of each document (ISO 639-1), and whether it mixes scripts substantially.

Chinese and English exactly, batch-wise in polars: `zh` when at least half of the letters are
CJK; `en` when Latin letters dominate and English function words make at least 8% of the words
(the, of, and, with, was, denies...; prose in other Latin-script languages does not reach it).
The rest (telegraphic English such as "Normal LV systolic function.", other languages) goes to
lingua, a real detector, on its first 500 chars, among the languages below; `und` when it cannot
tell. `mixed_script`: CJK and Latin letters each at least 20% of the letters.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl
import pyarrow as pa

# English words that are not also common words of other Latin-script languages ("a", "in",
# "no", "on", "patient" are).
FUNCTION_WORDS = (
    "the", "of", "and", "to", "is", "was", "with", "for", "not", "at", "by", "be", "are",
    "were", "this", "that", "he", "she", "his", "her", "from", "or", "an", "has", "had",
    "which", "there", "denies", "without", "after", "history", "who", "they", "been",
)
_WORD = r"[A-Za-z]+"
_FUNCTION = r"(?i)\b(?:" + "|".join(FUNCTION_WORDS) + r")\b"


# Languages lingua chooses among (fewer languages: faster and fewer confusions on clinical text).
LINGUA_LANGUAGES = ("ENGLISH", "CHINESE", "FRENCH", "GERMAN", "SPANISH", "ITALIAN", "PORTUGUESE",
                    "DUTCH", "RUSSIAN", "JAPANESE", "KOREAN", "ARABIC", "TURKISH", "POLISH",
                    "SWEDISH", "DANISH", "VIETNAMESE", "INDONESIAN", "HINDI", "GREEK")
LINGUA_CHARS = 500


@lru_cache(maxsize=1)
def _lingua():
    from lingua import Language, LanguageDetectorBuilder

    langs = [getattr(Language, name) for name in LINGUA_LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*langs).build()


def detect(texts: pa.Array | pa.ChunkedArray, cjk_ratio: pl.Series) -> pl.DataFrame:
    """`lang` and `mixed_script` per text."""
    arr = texts if isinstance(texts, pa.Array) else texts.combine_chunks()
    t = pl.col("text").fill_null("")
    frame = pl.DataFrame({"text": pl.Series(arr), "cjk": cjk_ratio})
    words = t.str.count_matches(_WORD)
    function = t.str.count_matches(_FUNCTION)
    latin = t.str.count_matches(r"\p{Latin}")
    letters = t.str.count_matches(r"\p{L}")
    latin_share = pl.when(letters > 0).then(latin / letters).otherwise(0.0)
    out = frame.select(
        pl.when(pl.col("cjk") >= 0.5).then(pl.lit("zh"))
        .when((latin_share >= 0.5) & (words > 0) & (function >= 0.08 * words)).then(pl.lit("en"))
        .when(letters > 0).then(pl.lit(None, pl.Utf8))
        .otherwise(pl.lit("und")).alias("lang"),
        ((pl.col("cjk") >= 0.2) & (latin_share >= 0.2)).alias("mixed_script"),
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
