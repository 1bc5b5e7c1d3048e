"""`termnorm.similar` under its name before 0.2, kept for one release."""

from termnorm.similar import ExampleMemory, TextIndex

__all__ = ["ExampleMemory", "TextIndex"]
