"""Text normalization, the Python face of the Rust normalizer."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from termnorm import _native
from termnorm._native import NormalizedText, normalize

__all__ = ["NormalizedText", "normalize", "normalize_array"]


def _as_array(texts: pa.Array | pa.ChunkedArray | Iterable[str | None]) -> pa.Array:
    if isinstance(texts, pa.ChunkedArray):
        return texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
    if isinstance(texts, pa.Array):
        return texts
    return pa.array(list(texts), pa.large_string())


def normalize_array(
    texts: pa.Array | pa.ChunkedArray | Iterable[str | None], *, offsets: bool = False
) -> pa.Array:
    """Normalize a whole batch in one call into Rust. Nulls stay null.

    With `offsets=True`, a struct array `{text, orig_start, orig_end}` whose lists give, for each
    normalized char, the original char span it came from.
    """
    arr = _as_array(texts)
    if offsets:
        return _native.normalize_array_with_offsets(arr)
    return _native.normalize_array(arr)
