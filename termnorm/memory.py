"""Approved examples as a retrieval memory: texts whose standard names a curator gave.

Set-valued normalization ("低锌低铁地贫" -> 铁缺乏, 锌缺乏, 地中海贫血) rarely repeats a text
exactly, but similar texts tend to share names. `ExampleMemory.vote` finds the k most similar
approved texts (cosine over TF-IDF weighted characters and character bigrams, which suits
Chinese as well as short English phrases) and keeps the names that carry at least `share` of
their similarity mass.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

SPACE = re.compile(r"\s+")


def _grams(text: str) -> Counter[str]:
    s = SPACE.sub("", text.lower())
    return Counter([s[i:i + 2] for i in range(len(s) - 1)] + list(s))


class ExampleMemory:
    def __init__(self, examples: Iterable[tuple[str, Iterable[str]]]) -> None:
        self.labels: list[tuple[str, ...]] = []
        grams: list[Counter[str]] = []
        for text, labels in examples:
            if text and text.strip():
                grams.append(_grams(text))
                self.labels.append(tuple(dict.fromkeys(labels)))
        df: Counter[str] = Counter()
        for g in grams:
            df.update(g.keys())
        n = len(grams)
        self._idf = {k: math.log(n / (1 + c) + 1) for k, c in df.items()}
        self._default_idf = math.log(n + 1)
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, g in enumerate(grams):
            for k, w in self._vector(g).items():
                self._postings[k].append((i, w))

    def __len__(self) -> int:
        return len(self.labels)

    def _vector(self, g: Counter[str]) -> dict[str, float]:
        v = {k: (1 + math.log(c)) * self._idf.get(k, self._default_idf) for k, c in g.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {k: x / norm for k, x in v.items()}

    def nearest(self, text: str, k: int = 10) -> list[tuple[int, float]]:
        """(example index, cosine) of the k most similar examples, best first."""
        scores: Counter[int] = Counter()
        for g, w in self._vector(_grams(text)).items():
            for i, x in self._postings.get(g, ()):
                scores[i] += w * x
        return scores.most_common(k)

    def vote(self, text: str, k: int = 10, share: float = 0.3, min_similarity: float = 0.1
             ) -> set[str]:
        """Names given to at least `share` of the similarity mass of the k nearest examples
        (those with cosine at least `min_similarity`: unrelated texts vote for nothing)."""
        near = [(i, s) for i, s in self.nearest(text, k) if s >= min_similarity]
        total = sum(s for _, s in near)
        if not total:
            return set()
        votes: Counter[str] = Counter()
        for i, s in near:
            for label in self.labels[i]:
                votes[label] += s
        return {label for label, v in votes.items() if v >= share * total}
