"""Typed stubs for the Rust extension module `termnorm._native`."""

import pyarrow as pa

__version__: str

class NormalizedText:
    """Normalized text; every character remembers the original character span it came from."""

    @property
    def text(self) -> str: ...
    @property
    def spans(self) -> list[tuple[int, int]]:
        """Original `(start, end)` char span of each normalized char."""
    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original char span of the normalized char span `[start, end)`; ValueError if empty
        or out of range."""
    def __len__(self) -> int: ...

def normalize(text: str) -> NormalizedText:
    """NFKC, case folding, width, unified dashes/quotes/slashes, whitespace collapse, and Roman
    type numerals as digits ("Type II" -> "type 2", "Ⅱ型" -> "2型")."""

def normalize_array(texts: pa.Array) -> pa.LargeStringArray:
    """`normalize` over a whole Arrow string array (string, large_string or string_view);
    nulls stay null."""

def normalize_array_with_offsets(texts: pa.Array) -> pa.StructArray:
    """`{text, orig_start: list<uint32>, orig_end: list<uint32>}` per input string."""
