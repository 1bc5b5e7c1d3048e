"""Set-valued normalization learned from approved examples (CHIP-CDN style: one diagnosis text,
several standard names: "右肺鳞癌维持性化学治疗" -> 右肺恶性肿瘤, 鳞状细胞癌, 恶性肿瘤维持性化学治疗).

Candidates come from four places: the names of the most similar approved examples
(`ExampleMemory`), the vocabulary names most similar to the text and to each of its segments
(`TextIndex`), the dictionary's mapping of the whole text and of each segment
(`Normalizer.map`) and the mentions found inside the text (`Normalizer.normalize`). A gradient
boosted classifier (scikit-learn) scores every (text, candidate) pair on how each source saw it
plus surface overlap and how often curators gave the name; names scoring at least a threshold
are kept, and always the best one.

Training rows must look like the rows met later: each example's candidates are found without
the example itself in the memory, and the name frequencies it sees come from the other folds
(a leave-one-out count would give the label away: the classifier learns "count - 1 means yes").
The threshold is the one that maximizes micro-F1 over out-of-fold predictions.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz
from sklearn.ensemble import HistGradientBoostingClassifier

from termnorm.normalizer import Normalizer
from termnorm.similar import ExampleMemory, TextIndex

# Separators between the diagnoses written into one text.
SEGMENT = re.compile(r"[，,、；;。.？?！!（）()\s/]+")
NEIGHBOURS = 20
FOLDS = 5


@dataclass
class _Seen:
    """How the candidate sources saw one name for one text."""

    vote: float = 0.0  # share of the neighbours' similarity mass naming it
    vote5: float = 0.0  # the same among the 5 nearest
    near5: int = 0
    neighbours: int = 0
    best_similarity: float = 0.0
    first_rank: int = NEIGHBOURS
    name_cosine: float = 0.0  # as a vocabulary name similar to the text or a segment
    map_score: float = 0.0  # dictionary mapping of the whole text
    segment_score: float = 0.0  # dictionary mapping of a segment
    mentions: int = 0  # mentions inside the text mapped to it
    mention_cover: float = 0.0


@dataclass
class _Query:
    text: str
    seen: dict[str, _Seen] = field(default_factory=lambda: defaultdict(_Seen))
    top_similarity: float = 0.0
    # What every candidate's features compare against, made once per text.
    segments: list[str] = field(init=False)
    chars: set[str] = field(init=False)
    bigrams: set[str] = field(init=False)

    def __post_init__(self) -> None:
        self.segments = _segments(self.text)
        self.chars = set(self.text)
        self.bigrams = _bigrams(self.text)


def _segments(text: str) -> list[str]:
    return [s for s in SEGMENT.split(text) if s]


def _bigrams(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)} or {s}


class SetRanker:
    """Standard names for texts, learned from approved (text, names) examples."""

    def __init__(
        self,
        nz: Normalizer,
        names: Sequence[str],
        examples: Sequence[tuple[str, Sequence[str]]],
        seed: int = 0,
    ) -> None:
        """`names`: the target vocabulary's standard names; `examples`: approved pairs."""
        self.nz = nz
        self._names = sorted(set(names))
        self._known = set(self._names)
        self._name_index = TextIndex(self._names)
        examples = [(t, tuple(dict.fromkeys(ns))) for t, ns in examples if t and t.strip()]
        self.memory = ExampleMemory(examples)
        self._seed = seed
        self._prior = Counter(n for _, ns in examples for n in ns)
        fold_of = [i % FOLDS for i in range(len(examples))]
        # Each example sees name counts from the other folds, scaled to the whole set.
        other = [
            Counter(n for i, (_, ns) in enumerate(examples) if fold_of[i] != f for n in ns)
            for f in range(FOLDS)
        ]
        scale = FOLDS / (FOLDS - 1)
        queries = self._queries([t for t, _ in examples], exclude=list(range(len(examples))))
        rows, labels, groups = [], [], []
        for i, ((_, want), q) in enumerate(zip(examples, queries, strict=True)):
            for name, seen in q.seen.items():
                rows.append(self._features(q, name, seen, other[fold_of[i]][name] * scale))
                labels.append(name in want)
                groups.append(i)
        x, y, g = np.array(rows, np.float64), np.array(labels), np.array(groups)
        gold = sum(len(ns) for _, ns in examples)
        self.threshold = self._pick_threshold(x, y, g, np.array(fold_of)[g], gold)
        self.model = self._model().fit(x, y) if y.any() and not y.all() else None

    def _model(self) -> HistGradientBoostingClassifier:
        # No early stopping: it would hold out a random split, and the output must not depend
        # on anything but the inputs and the seed.
        return HistGradientBoostingClassifier(
            max_iter=300, learning_rate=0.05, early_stopping=False, random_state=self._seed
        )

    def _pick_threshold(self, x, y, groups, folds, gold: int) -> float:
        oof = np.zeros(len(y))
        for f in range(FOLDS):
            test = folds == f
            train = ~test
            if not test.any() or not y[train].any() or y[train].all():
                return 0.5
            oof[test] = self._model().fit(x[train], y[train]).predict_proba(x[test])[:, 1]
        grid = np.arange(0.1, 0.8, 0.025)
        return float(max(grid, key=lambda t: (_micro_f1(oof, y, groups, t, gold), -t)))

    # --- candidates and features -----------------------------------------------------------
    def _queries(self, texts: Sequence[str], exclude: Sequence[int] = ()) -> list[_Query]:
        queries = [_Query(t) for t in texts]
        near = self.memory.index.nearest_many(texts, NEIGHBOURS, exclude)
        # The vocabulary names nearest the whole text and each of its segments.
        asked = [(i, t, 10) for i, t in enumerate(texts)] + [
            (i, s, 5) for i, q in enumerate(queries) if len(q.segments) > 1 for s in q.segments
        ]
        similar = self._name_index.nearest_many([t for _, t, _ in asked], 10)
        for (i, _, k), found in zip(asked, similar, strict=True):
            for j, cos in found[:k]:
                seen = queries[i].seen[self._names[j]]
                seen.name_cosine = max(seen.name_cosine, cos)
        for q, nn in zip(queries, near, strict=True):
            self._vote(q, nn)
            self._dictionary(q)
        return queries

    def _vote(self, q: _Query, near: list[tuple[int, float]]) -> None:
        total = sum(s for _, s in near) or 1.0
        total5 = sum(s for _, s in near[:5]) or 1.0
        q.top_similarity = near[0][1] if near else 0.0
        for rank, (i, sim) in enumerate(near):
            for name in self.memory.labels[i]:
                seen = q.seen[name]
                seen.vote += sim / total
                seen.neighbours += 1
                seen.best_similarity = max(seen.best_similarity, sim)
                seen.first_rank = min(seen.first_rank, rank)
                if rank < 5:
                    seen.vote5 += sim / total5
                    seen.near5 += 1

    def _dictionary(self, q: _Query) -> None:
        for c in self.nz.map(q.text, k=5):
            if c.name:
                q.seen[c.name].map_score = max(q.seen[c.name].map_score, c.score)
        for s in q.segments if len(q.segments) > 1 else ():
            for c in self.nz.map(s, k=3):
                if c.name:
                    q.seen[c.name].segment_score = max(q.seen[c.name].segment_score, c.score)
        for m in self.nz.normalize(q.text).mentions:
            if m.name:
                seen = q.seen[m.name]
                seen.mentions += 1
                seen.mention_cover = max(
                    seen.mention_cover, (m.end - m.start) / max(1, len(q.text))
                )

    def _features(self, q: _Query, name: str, s: _Seen, prior: float) -> list[float]:
        text = q.text
        name_bigrams = _bigrams(name)
        return [
            s.vote,
            s.best_similarity,
            s.neighbours,
            s.first_rank,
            s.map_score,
            s.mentions,
            s.mention_cover,
            len(set(name) & q.chars) / max(1, len(set(name))),
            fuzz.partial_ratio(name, text) / 100,
            fuzz.ratio(name, text) / 100,
            float(name in text),
            len(name),
            len(text),
            math.log1p(prior),
            q.top_similarity,
            len(q.seen),
            float(name in self._known),
            len(name_bigrams & q.bigrams) / len(name_bigrams),
            max(fuzz.ratio(name, x) for x in q.segments or [text]) / 100,
            s.vote5,
            s.near5,
            s.segment_score,
            s.name_cosine,
        ]

    # --- prediction --------------------------------------------------------------------------
    def scores(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        """Per text, every candidate name with its probability, best first."""
        out = []
        for q in self._queries(texts):
            names = sorted(q.seen)
            if not names or self.model is None:
                out.append([])
                continue
            x = np.array([self._features(q, n, q.seen[n], self._prior[n]) for n in names])
            p = self.model.predict_proba(x)[:, 1]
            out.append(sorted(zip(names, p.tolist(), strict=True), key=lambda t: (-t[1], t[0])))
        return out

    def predict(self, texts: Sequence[str]) -> list[set[str]]:
        """Per text, the names scoring at least the threshold, and always the best one."""
        return [
            {n for i, (n, p) in enumerate(ranked) if p >= self.threshold or i == 0}
            for ranked in self.scores(texts)
        ]


def _micro_f1(
    p: np.ndarray, y: np.ndarray, groups: np.ndarray, threshold: float, gold: int
) -> float:
    chosen = p >= threshold
    # The best candidate of every text is always chosen (groups are contiguous).
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    best = np.maximum.reduceat(p, starts)
    chosen |= p == np.repeat(best, np.diff(np.r_[starts, len(p)]))
    tp = int((chosen & y).sum())
    fp = int((chosen & ~y).sum())
    return 2 * tp / (2 * tp + fp + (gold - tp)) if gold else 0.0
