"""Text folding, the Python face of the Rust normalizer: case, width, Unicode compatibility
forms, punctuation, whitespace and type numerals folded, each output char mapped back to the
original span it came from. (Finding concept mentions is `Normalizer.annotate`.)"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from termnorm import _native
from termnorm._native import NormalizedText
from termnorm_utils.arrow import as_array

__all__ = ["NormalizedText", "fold", "fold_array"]


def fold(text: str) -> NormalizedText:
    """One text folded: NFKC, case folding, width, unified dashes/quotes/slashes, whitespace,
    Roman type numerals as digits; `.text` and, per char, `.spans` into the original."""
    return _native.normalize(text)


def fold_array(
    texts: pa.Array | pa.ChunkedArray | Iterable[str | None], *, offsets: bool = False
) -> pa.Array:
    """Fold a whole batch in one call into Rust. Nulls stay null.

    With `offsets=True`, a struct array `{text, orig_start, orig_end}` whose lists give, for each
    folded char, the original char span it came from.
    """
    arr = as_array(texts)
    if offsets:
        return _native.normalize_array_with_offsets(arr)
    return _native.normalize_array(arr)


# the names of text folding before 0.2, kept for one release
normalize = fold
normalize_array = fold_array
