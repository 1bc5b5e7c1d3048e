"""Language of each document: Chinese and English exactly, by script and function words;
anything else `und` (undetermined); documents that mix scripts substantially are flagged.

`zh`: at least half of the letters are CJK. `en`: Latin letters, and English function words make
at least 8% of the words (the, of, and, with, was, denies...: clinical English, even
telegraphic, clears it; French or German prose does not). `mixed_script`: CJK and Latin letters
each at least 20% of the letters. Batch-wise in polars over the quality signals' `cjk_ratio`.
"""

from __future__ import annotations

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
    return frame.select(
        pl.when(pl.col("cjk") >= 0.5).then(pl.lit("zh"))
        .when((latin_share >= 0.5) & (words > 0) & (function >= 0.08 * words)).then(pl.lit("en"))
        .otherwise(pl.lit("und")).alias("lang"),
        ((pl.col("cjk") >= 0.2) & (latin_share >= 0.2)).alias("mixed_script"),
    )
