"""Arrow coercion at the edges: what the Rust batch calls take."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa


def as_array(texts: pa.Array | pa.ChunkedArray | Iterable[str | None]) -> pa.Array:
    """One contiguous Arrow array of `texts` (a chunked array combined, a list converted)."""
    if isinstance(texts, pa.ChunkedArray):
        return texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
    if isinstance(texts, pa.Array):
        return texts
    return pa.array(list(texts), pa.large_string())
