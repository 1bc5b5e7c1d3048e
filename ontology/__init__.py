"""Terminologies: loaders for real formats, the unified tables, and the concept graph."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ontology.build import build
from ontology.errors import SourceError
from ontology.loaders import FORMATS, Source
from ontology.schema import TermTables

if TYPE_CHECKING:
    from ontology.graph import ConceptGraph

__all__ = ["FORMATS", "ConceptGraph", "Source", "SourceError", "TermTables", "build"]


def __getattr__(name: str):
    # The graph (and networkx, ~0.1 s) loads on first use: a corpus run's workers read the
    # built tables and never walk the graph.
    if name == "ConceptGraph":
        from ontology.graph import ConceptGraph

        return ConceptGraph
    raise AttributeError(f"module 'ontology' has no attribute {name!r}")
