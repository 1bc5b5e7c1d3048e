"""Text normalization, the Python face of the Rust normalizer."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from termnorm import _native
from termnorm._native import NormalizedText, normalize
from termnorm_utils.arrow import as_array

__all__ = ["NormalizedText", "normalize", "normalize_array"]


def normalize_array(
    texts: pa.Array | pa.ChunkedArray | Iterable[str | None], *, offsets: bool = False
) -> pa.Array:
    """Normalize a whole batch in one call into Rust. Nulls stay null.

    With `offsets=True`, a struct array `{text, orig_start, orig_end}` whose lists give, for each
    normalized char, the original char span it came from.
    """
    arr = as_array(texts)
    if offsets:
        return _native.normalize_array_with_offsets(arr)
    return _native.normalize_array(arr)
