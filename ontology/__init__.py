"""Terminologies: loaders for real formats, the unified tables, and the concept graph."""

from ontology.build import build
from ontology.errors import SourceError
from ontology.graph import ConceptGraph
from ontology.loaders import FORMATS, Source
from ontology.schema import TermTables

__all__ = ["FORMATS", "ConceptGraph", "Source", "SourceError", "TermTables", "build"]
