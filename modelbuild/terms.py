"""The clinical terms a tokenizer should keep whole.

Three sources, in this order: single-word concept mentions in the training texts, counted by
the normalization engine (the spellings of the most frequent first); the other cases of those
terms (capitalized, in capitals); then, to reach terms the corpus does not hold, the
terminology's own single-word names ranked by how many of its names they occur in (a name word
like "neuroblastoma" is core vocabulary; a drug's trade name occurs once).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from termnorm.normalizer import Normalizer

NAME_WORD = r"[A-Za-z][A-Za-z]+(?:-[A-Za-z]+)*"


class TermCounter:
    """Counts mention surfaces without whitespace, batch by batch (one Rust call a batch)."""

    def __init__(self, ontology: str | Path):
        self.normalizer = Normalizer.load(ontology)
        self.spellings: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, texts: list[str]) -> None:
        surface = self.normalizer.normalize_batch(pa.array(texts, pa.string())).column("surface")
        single = surface.filter(pc.invert(pc.match_substring_regex(surface, r"\s")))
        vc = pc.value_counts(single)
        for s, n in zip(
            vc.field("values").to_pylist(), vc.field("counts").to_pylist(), strict=True
        ):
            self.spellings[s.lower()][s] += n

    def counting(self, batches: Iterable[list[str]]) -> Iterator[list[str]]:
        """Pass the batches through, counting on the way (one read of the corpus for both)."""
        for texts in batches:
            self.add(texts)
            yield texts

    def counts(self) -> dict[str, int]:
        """Each spelling's count ("Pregnancy" and "pregnancy" apart, as a tokenizer sees them)."""
        return {s: n for sp in self.spellings.values() for s, n in sp.items()}

    def top(self, k: int) -> list[str]:
        """The `k` most frequent spellings, ties by text: the same list for the same texts."""
        return [t for t, _ in sorted(self.counts().items(), key=lambda kv: (-kv[1], kv[0]))[:k]]

    def _ranked(self) -> list[tuple[str, Counter[str]]]:
        return sorted(self.spellings.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))

    def terms_ranked(self) -> list[str]:
        """The terms (lowercase), the most frequent first, all spellings counted together."""
        return [t for t, _ in self._ranked()]

    def spellings_ranked(self) -> list[str]:
        """Every spelling seen ("Pregnancy", "PREGNANCY"), the most frequent terms first."""
        return [
            s
            for _, sp in self._ranked()
            for s, _ in sorted(sp.items(), key=lambda kv: (-kv[1], kv[0]))
        ]


def name_words(ontology: str | Path, k: int) -> list[str]:
    """The terminology's single-word English names (lowercase), most used in its names first."""
    syn = pl.scan_parquet(Path(ontology) / "synonyms.parquet").filter(pl.col("lang") == "en")
    words = (
        syn.select(pl.col("term").str.to_lowercase().unique().alias("t"))
        .select(pl.col("t").str.extract_all(NAME_WORD).alias("w"))
        .explode("w")
        .filter(pl.col("w").str.len_chars() >= 4)
        .group_by("w")
        .agg(pl.len().alias("n"))
    )
    single = (
        syn.select(pl.col("term").str.to_lowercase().alias("w"))
        .unique()
        .filter(pl.col("w").str.contains(f"^{NAME_WORD}$"))
    )
    ranked = words.join(single, on="w").sort(["n", "w"], descending=[True, False]).head(k).collect()
    return ranked.get_column("w").to_list()


def merge_ranked(*lists: Iterable[str], k: int) -> list[str]:
    """The first `k` distinct strings of the lists, taken in order."""
    out = dict.fromkeys(t for terms in lists for t in terms)
    return list(out)[:k]


def case_variants(words: Iterable[str]) -> Iterator[str]:
    """Each word as written, capitalized (a sentence's first word) and in capitals (a heading)."""
    for w in words:
        yield w
        yield w[:1].upper() + w[1:]
        yield w.upper()
