"""Texts found by similarity: approved examples as a retrieval memory, and a vocabulary's names.

Set-valued normalization ("低锌低铁地贫" -> 铁缺乏, 锌缺乏, 地中海贫血) rarely repeats a text
exactly, but similar texts tend to share names. `TextIndex` ranks indexed texts by cosine over
TF-IDF weighted characters and character bigrams (suits Chinese as well as short English
phrases), many queries at once as one sparse product (scikit-learn). `ExampleMemory.vote` finds
the k most similar approved texts and keeps the names that carry at least `share` of their
similarity mass.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

# Queries per sparse product: bounds the dense block of scores (rows x indexed texts).
_BLOCK = 256


class TextIndex:
    """Texts searchable by character uni- and bigram TF-IDF cosine."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._vec = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 2), lowercase=True, sublinear_tf=True, dtype=np.float32
        )
        self._n = len(texts)
        # An index of nothing (or of texts without chars) answers every query with nothing.
        self._matrix = (
            self._vec.fit_transform(_squeeze(t) for t in texts).T.tocsr()
            if any(t.strip() for t in texts)
            else None
        )

    def __len__(self) -> int:
        return self._n

    def nearest_many(
        self, queries: Sequence[str], k: int = 10, exclude: Sequence[int] = ()
    ) -> list[list[tuple[int, float]]]:
        """Per query, (text index, cosine) of the k most similar texts with cosine > 0, best
        first, ties by index; `exclude[i]` (if given) is left out of query i's answer."""
        if self._matrix is None or k <= 0:
            return [[] for _ in queries]
        out: list[list[tuple[int, float]]] = []
        for lo in range(0, len(queries), _BLOCK):
            block = [_squeeze(q) for q in queries[lo : lo + _BLOCK]]
            scores = (self._vec.transform(block) @ self._matrix).toarray()
            for row, i in zip(scores, range(lo, lo + len(block)), strict=True):
                if exclude:
                    row[exclude[i]] = 0.0
                top = np.argpartition(-row, min(k, len(row) - 1))[:k]
                top = top[row[top] > 0]
                out.append(
                    [(int(j), float(row[j])) for j in sorted(top, key=lambda j: (-row[j], j))]
                )
        return out

    def nearest(self, text: str, k: int = 10) -> list[tuple[int, float]]:
        return self.nearest_many([text], k)[0]


def _squeeze(text: str) -> str:
    return "".join(text.split())


class ExampleMemory:
    def __init__(self, examples: Iterable[tuple[str, Iterable[str]]]) -> None:
        texts: list[str] = []
        self.labels: list[tuple[str, ...]] = []
        for text, labels in examples:
            if text and text.strip():
                texts.append(text)
                self.labels.append(tuple(dict.fromkeys(labels)))
        self.index = TextIndex(texts)

    def __len__(self) -> int:
        return len(self.labels)

    def nearest(self, text: str, k: int = 10) -> list[tuple[int, float]]:
        """(example index, cosine) of the k most similar examples, best first."""
        return self.index.nearest(text, k)

    def vote(
        self, text: str, k: int = 10, share: float = 0.3, min_similarity: float = 0.1
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
