"""The concept graph: hierarchy (`is_a`, `part_of`) and cross-references (`xref`, `maps_to`) over
a built terminology, on networkx."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import networkx as nx
import numpy as np
import polars as pl

from ontology import store
from termnorm_utils.errors import NotFoundError

HIERARCHY = ("is_a", "part_of")
XREF = ("xref", "maps_to")


class IsA:
    """The `is_a` edges of a relations table as child lists over sorted node IDs: subtrees in a
    few vectorized steps, with no graph object (the lexicon's HPO filter and the tag stage's
    specialty branches, each over a whole terminology). `extra`: IDs to add as nodes."""

    def __init__(self, relations: pl.DataFrame, extra: Iterable[str] = ()):
        is_a = relations.filter(pl.col("rel") == "is_a")
        self.nodes = (
            pl.concat([is_a["src"], is_a["dst"], pl.Series(list(extra), dtype=pl.Utf8)])
            .unique()
            .sort()
        )
        src, dst = (self.nodes.search_sorted(is_a[c]).to_numpy() for c in ("src", "dst"))
        order = np.argsort(dst, kind="stable")
        # the children of node i: self._kids[self._first[i]:self._first[i + 1]]
        self._kids = src[order]
        self._first = np.searchsorted(dst[order], np.arange(len(self.nodes) + 1))

    def under(self, roots: Iterable[str]) -> np.ndarray:
        """A mask over `nodes`: the roots that are nodes and everything below them."""
        seen = np.zeros(len(self.nodes), bool)
        roots = pl.Series(list(roots), dtype=pl.Utf8)
        if not len(self.nodes) or not len(roots):
            return seen
        at = np.minimum(self.nodes.search_sorted(roots).to_numpy(), len(self.nodes) - 1)
        frontier = np.unique(at[(self.nodes.gather(at) == roots).to_numpy()])
        seen[frontier] = True
        first, kids = self._first, self._kids
        while len(frontier):
            n = first[frontier + 1] - first[frontier]
            at = np.repeat(first[frontier] - np.cumsum(n) + n, n) + np.arange(n.sum())
            frontier = np.unique(kids[at])
            frontier = frontier[~seen[frontier]]
            seen[frontier] = True
        return seen


class ConceptGraph:
    """`hierarchy` has an edge parent -> child; `xrefs` is undirected."""

    def __init__(self, relations: pl.DataFrame, names: dict[str, str] | None = None):
        self.hierarchy = nx.DiGraph()
        h = relations.filter(pl.col("rel").is_in(HIERARCHY))
        self.hierarchy.add_edges_from(zip(h["dst"], h["src"], strict=True))
        self.xrefs = nx.Graph()
        x = relations.filter(pl.col("rel").is_in(XREF))
        self.xrefs.add_edges_from(zip(x["src"], x["dst"], strict=True))
        self.names = names or {}

    @classmethod
    def load(cls, folder: str | Path, *, with_names: bool = True) -> ConceptGraph:
        rel = store.scan(folder, "relations").select("src", "rel", "dst").collect()
        names = None
        if with_names:
            c = store.scan(folder, "concepts").select("concept_id", "name").collect()
            names = dict(zip(c["concept_id"], c["name"], strict=True))
        return cls(rel, names)

    def _need(self, g: nx.Graph, cid: str) -> None:
        if cid not in g:
            raise NotFoundError(f"{cid} is not in the concept graph")

    def name(self, cid: str) -> str | None:
        return self.names.get(cid)

    def parents(self, cid: str) -> set[str]:
        return set(self.hierarchy.predecessors(cid)) if cid in self.hierarchy else set()

    def children(self, cid: str) -> set[str]:
        return set(self.hierarchy.successors(cid)) if cid in self.hierarchy else set()

    def ancestors(self, cid: str) -> set[str]:
        self._need(self.hierarchy, cid)
        return nx.ancestors(self.hierarchy, cid)

    def descendants(self, cid: str) -> set[str]:
        self._need(self.hierarchy, cid)
        return nx.descendants(self.hierarchy, cid)

    def subtree(self, root: str) -> set[str]:
        """The root and every concept under it ("every concept under MESH:D003920")."""
        return self.descendants(root) | {root}

    def is_under(self, cid: str, root: str) -> bool:
        return cid == root or (cid in self.hierarchy and root in self.ancestors(cid))

    def lowest_common_ancestors(self, a: str, b: str) -> set[str]:
        """The common ancestors (a concept counts as its own) that have no common descendant
        that is also a common ancestor: with several parents there can be more than one."""
        self._need(self.hierarchy, a)
        self._need(self.hierarchy, b)
        common = (self.ancestors(a) | {a}) & (self.ancestors(b) | {b})
        return {c for c in common if not any(d in common for d in self.hierarchy.successors(c))}

    def shortest_path(self, a: str, b: str) -> list[str]:
        """Shortest path through the hierarchy, edges walked either way."""
        self._need(self.hierarchy, a)
        self._need(self.hierarchy, b)
        try:
            return nx.shortest_path(self.hierarchy.to_undirected(as_view=True), a, b)
        except nx.NetworkXNoPath:
            return []

    def xref(self, cid: str, vocab: str, max_hops: int = 4) -> list[str]:
        """IDs in `vocab` reached through the closure of cross-references (e.g. an OMIM ID to
        its MeSH descriptor via DOID): those at the fewest hops (at most `max_hops`), sorted."""
        prefix = vocab.upper().rstrip(":") + ":"
        if cid.startswith(prefix):
            return [cid]
        if cid not in self.xrefs:
            return []
        for _, level in zip(range(max_hops), _bfs_levels(self.xrefs, cid), strict=False):
            hits = sorted(n for n in level if n.startswith(prefix))
            if hits:
                return hits
        return []

    def xref_or_broader(self, cid: str, vocab: str, max_levels: int = 2) -> list[str]:
        """`xref`, or where `cid` has no counterpart in `vocab`, that of its nearest ancestors
        that have one (at most `max_levels` up): "prostate adenocarcinoma" (DOID, no MeSH
        xref) reaches Prostatic Neoplasms through "prostate cancer"."""
        found = self.xref(cid, vocab)
        # up from the concept and from what it cross-references (ICD10BJ:E11.901 -> ICD10CM:E11.9,
        # whose parent E11 DOID links to MeSH)
        level = {cid}
        if cid in self.xrefs:
            for _, near in zip(range(4), _bfs_levels(self.xrefs, cid), strict=False):
                level |= set(near)
        for _ in range(max_levels):
            if found:
                break
            level = set().union(*(self.parents(c) for c in level if c in self.hierarchy))
            found = sorted({x for c in level for x in self.xref(c, vocab)})
        return found

    def to_graphml(self, path: str | Path, nodes: Iterable[str] | None = None) -> None:
        """Both graphs in one GraphML file: edges carry `rel` = hierarchy or xref."""
        g = nx.MultiDiGraph()
        for p, c in self.hierarchy.edges:
            g.add_edge(c, p, rel="is_a")
        for a, b in self.xrefs.edges:
            g.add_edge(a, b, rel="xref")
        if nodes is not None:
            g = g.subgraph(set(nodes)).copy()
        for n in g.nodes:
            if n in self.names:
                g.nodes[n]["name"] = self.names[n]
        nx.write_graphml(g, str(path))


def _bfs_levels(g: nx.Graph, start: str):
    seen = {start}
    frontier = [start]
    while frontier:
        nxt = []
        for n in frontier:
            for m in g.neighbors(n):
                if m not in seen:
                    seen.add(m)
                    nxt.append(m)
        if nxt:
            yield nxt
        frontier = nxt
