"""The clean stage: mojibake repaired (UTF-8 shown as Windows-1252/Latin-1), Unicode NFC,
control characters dropped, spaces and line breaks tidied; case and content kept. In Rust
(`rust_ext/core/src/clean.rs`), one call per batch.

    clean(["CafÃ© au lait\\r\\n\\r\\n\\r\\n"])   # ["Café au lait"]

Repeated boilerplate lines (a shard-level pass) are still to come.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from termnorm import _native
from termnorm.text import _as_array


def clean(texts: pa.Array | pa.ChunkedArray | Iterable[str | None]) -> pa.LargeStringArray:
    return _native.clean_array(_as_array(texts))
