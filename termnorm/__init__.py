"""termnorm: clinical text normalization and medical corpus building.

The hot paths live in Rust (`termnorm._native`); this package is their Python face.
"""

from termnorm._native import __version__
from termnorm.text import NormalizedText, normalize, normalize_array

__all__ = ["NormalizedText", "__version__", "normalize", "normalize_array"]
