"""termnorm: clinical text normalization and medical corpus building.

The hot paths live in Rust (`termnorm._native`); this package is their Python face: text
folding here (`fold`, `fold_array`), concept mentions in `termnorm.normalizer.Normalizer`.
"""

from termnorm._native import __version__
from termnorm.text import NormalizedText, fold, fold_array, normalize, normalize_array  # noqa: F401  (names before 0.2)

__all__ = ["NormalizedText", "__version__", "fold", "fold_array"]
