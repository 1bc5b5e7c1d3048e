"""termnorm: clinical text normalization and medical corpus building.

The hot paths live in Rust (`termnorm._native`); this package is their Python face.
"""

from termnorm._native import NormalizedText, __version__, normalize

__all__ = ["NormalizedText", "__version__", "normalize"]
