"""Abbreviation senses: which long form an abbreviation stands for in a given document.

Sources, strongest first: a definition in the document itself ("long form (SF)", see
`termnorm.abbreviations`), the curated clinical shorthand (`rules/en_shorthand.tsv`, one sense
each), the clinical sense inventories of the terminology (`clinabbr:`, each sense's share of real
notes' uses), then its other abbreviation synonyms (ADAM's MEDLINE inventory). The priors are
shares of the short form's uses: curated 0.9, clinical 0.1 beside a curated sense, MEDLINE 0.01
beside a clinical one. Each word of a long form found within `CONTEXT_WINDOW` chars of the
abbreviation multiplies its sense's odds ("MI" next to "mitral regurgitation" is mitral
insufficiency, not myocardial infarction). The choice is made in Rust
(`_native.SenseTable`), the same code for `expand` and for the mentions of `Normalizer.normalize`
and `normalize_batch` (which choose inside the annotation pass).
"""

from __future__ import annotations

import gc
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson
import polars as pl

from ontology import store
from termnorm import clinical, lexicon, sense_learning
from termnorm._native import SENSE_DROPS, SENSE_KEEPS, SenseTable
from termnorm.abbreviations import defined_forms
from termnorm.text import fold_array

# A token that may be an abbreviation: letters/digits with an optional slash or hyphen part.
TOKEN = re.compile(r"(?<![\w/-])([A-Za-z][A-Za-z0-9]*(?:[/-][A-Za-z0-9]*)?)(?![\w])")
# Chars either side of an abbreviation whose words choose its sense: the paragraph, roughly.
CONTEXT_WINDOW = 400


def looks_abbreviated(surface: str) -> bool:
    """Written as an abbreviation: a capital or digit after the first char, or a slash ("MI",
    "DM2", "c/o"); "mi" and "as" in running text stay words."""
    return (
        "/" in surface
        or any(c.isupper() or c.isdigit() for c in surface[1:])
        or (len(surface) > 1 and surface.isupper())
    )


@dataclass(frozen=True)
class Expansion:
    start: int
    end: int
    short: str
    long: str
    source: str  # "document", "shorthand", "clinical" or "inventory"


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a while: building ~100k small lists and tuples
    (none in a cycle) set it off again and again over every object of the process, 0.4 s of a
    1 s build of the full terminology's inventory."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


SCALE = 10**9  # priors as integer parts per billion
# A source's weight beside a stronger source of the same short form (the strongest present
# weighs 1): the clinical senses beside a curated one, MEDLINE's beside clinical or curated ones.
BESIDE = {"clinical": 0.1, "inventory": 0.01}


def _merged(
    clin: dict[str, list[tuple[str, int]]], other: dict[str, list[tuple[str, int]]]
) -> dict[str, list[tuple[str, int, str]]]:
    """By normalized short form: (long form, prior in parts per billion, source), most likely
    first. `clin`: the clinical inventories' senses, `other`: every other inventory's."""
    cur = clinical.shorthand()
    by_source = {
        "shorthand": {s: [(long, 1)] for s, long in cur.items()},
        "clinical": clin,
        "inventory": other,
    }
    shorts = list(dict.fromkeys([*cur, *clin, *other]))
    merged: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    for short, key in zip(shorts, fold_array(shorts).to_pylist(), strict=True):
        for source, senses in by_source.items():
            opts = senses.get(short)
            if not opts:
                continue
            weight = BESIDE[source] if merged.get(key) else 1.0
            total = sum(max(f, 1) for _, f in opts)
            merged[key].extend(
                (long, max(1, round(SCALE * weight * max(f, 1) / total)), source)
                for long, f in opts
            )
    return {k: sorted(v, key=lambda s: (-s[1], s[0])) for k, v in merged.items()}


def _terminology_senses(
    folder: str | Path, clinical_only: bool
) -> dict[str, list[tuple[str, int]]]:
    """Short form -> [(long form, frequency)] from the terminology's abbreviation synonyms:
    those of the clinical inventories, or all the others."""
    syn = store.scan(folder, "synonyms")
    clin = pl.col("concept_id").str.starts_with(clinical.INVENTORY_VOCAB + ":")
    abbr = syn.filter(
        (pl.col("kind") == "abbreviation") & (clin if clinical_only else ~clin)
    ).select(
        pl.col("term").str.to_lowercase().alias("short"), "concept_id", pl.col("freq").fill_null(1)
    )
    names = store.scan(folder, "concepts").select("concept_id", pl.col("name").alias("long"))
    rows = (
        abbr.join(names, on="concept_id")
        .filter(pl.col("long").str.len_chars() > 0)
        .group_by("short", pl.col("long").str.to_lowercase())
        .agg(pl.col("freq").sum())
        .collect()
    )
    g = rows.sort("short", "long").group_by("short", maintain_order=True).agg("long", "freq")
    return {
        short: list(zip(longs, freqs, strict=True))
        for short, longs, freqs in zip(
            *(g[c].to_list() for c in ("short", "long", "freq")), strict=True
        )
    }


def _rows(senses: dict[str, list[tuple[str, int, str]]]) -> pl.DataFrame:
    """An inventory's senses as rows (short, long, freq, source), in its order."""
    return pl.DataFrame(
        [(k, *sense) for k, v in senses.items() for sense in v],
        schema={"short": pl.Utf8, "long": pl.Utf8, "freq": pl.Int64, "source": pl.Utf8},
        orient="row",
    )


def _nested(rows: pl.DataFrame) -> dict[str, list[tuple[str, int, str]]]:
    senses: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    for short, *sense in rows.iter_rows():
        senses[short].append(tuple(sense))
    return dict(senses)


class SenseInventory:
    def __init__(
        self,
        clin: dict[str, list[tuple[str, int]]],
        other: dict[str, list[tuple[str, int]]] | None = None,
    ) -> None:
        self._use(_merged(clin, other or {}))

    def _use(
        self, senses: dict[str, list[tuple[str, int, str]]], learned: pl.DataFrame | None = None
    ) -> None:
        """Take `senses` (already merged and ordered) as this inventory's, with the context
        words `learned` from notes (`termnorm.sense_learning`)."""
        self.senses = senses
        # A sense is named by its index over all short forms' senses, in this order.
        self._longs = [long for v in self.senses.values() for long, _, _ in v]
        self._sources = [src for v in self.senses.values() for _, _, src in v]
        cues = sense_learning.by_sense(learned, senses) if learned is not None else None
        self.table = SenseTable(
            [(k, [(long, f) for long, f, _ in v]) for k, v in self.senses.items()],
            CONTEXT_WINDOW,
            cues,
        )

    @classmethod
    def from_terminology(cls, folder: str | Path) -> SenseInventory:
        """Abbreviation synonyms of a built terminology, each paired with its concept's
        preferred name as the long form, and the curated shorthand. The merged inventory is
        kept beside the terminology's tables (`store.derived`): 0.5 s to derive for the full
        terminology, 0.1 s to read."""
        rules = orjson.dumps([clinical.shorthand(), lexicon.VERSION]).decode()
        with _collector_paused():
            rows = store.derived(folder, "senses", rules, lambda: _rows(cls._derive(folder)))
            inventory = cls.__new__(cls)
            inventory._use(_nested(rows), sense_learning.read(folder))
        return inventory

    @staticmethod
    def _derive(folder: str | Path) -> dict[str, list[tuple[str, int, str]]]:
        return _merged(_terminology_senses(folder, True), _terminology_senses(folder, False))

    @classmethod
    def _from_terminology(cls, folder: str | Path) -> SenseInventory:
        """The inventory derived afresh (what `from_terminology` saves)."""
        inventory = cls.__new__(cls)
        inventory._use(cls._derive(folder))
        return inventory

    def sense(self, index: int) -> tuple[str, str]:
        """(long form, source) of a sense index from the table: source "shorthand" (curated),
        "clinical" (a clinical inventory) or "inventory" (any other)."""
        return self._longs[index], self._sources[index]

    def concepts(self, engine) -> list[int]:
        """Per sense, the concept (index into `engine`'s) its mention carries: the concept its
        long form names, the abbreviation term's own concept first; `SENSE_KEEPS` where it names
        none (the term keeps its concept), `SENSE_DROPS` for a clinical sense that names none
        ("PT": patient, no mention). Only short forms that are terms of `engine` are looked at."""
        out = [SENSE_KEEPS] * len(self._longs)
        at = 0
        lookup, entries = engine.lookup, engine.entries
        for short, opts in self.senses.items():
            term = lookup(short)
            if term is not None:
                own = {c for c, _ in entries(term)}
                norms = fold_array([long for long, _, _ in opts]).to_pylist()
                for i, (norm, (_, _, source)) in enumerate(zip(norms, opts, strict=True)):
                    t = lookup(norm) if norm else None
                    named = [c for c, _ in entries(t)] if t is not None else []
                    if named:
                        out[at + i] = next((c for c in named if c in own), named[0])
                    elif source != "inventory":
                        out[at + i] = SENSE_DROPS
            at += len(opts)
        return out

    def senses_at(self, text: str, found: list[tuple[str, int]]) -> list[tuple[str, str] | None]:
        """(long form, source) of each abbreviation `(surface, char offset)` of `text`: the
        document's own definition ("long form (SF)"), else the sense the words around it
        choose; None for an unknown short form."""
        shorts = fold_array([s for s, _ in found]).to_pylist()
        chosen = self.table.choose(text, shorts, [at for _, at in found])
        defs = defined_forms(text) if found else {}
        out: list[tuple[str, str] | None] = []
        for (surface, _), i in zip(found, chosen, strict=True):
            long = defs.get(surface.lower())
            out.append(
                (long, "document") if long is not None else None if i is None else self.sense(i)
            )
        return out

    def sense_at(self, text: str, surface: str, at: int) -> tuple[str, str] | None:
        """`senses_at` for one abbreviation."""
        return self.senses_at(text, [(surface, at)])[0]

    def expansions(self, text: str) -> list[Expansion]:
        """Every abbreviation in `text` with its chosen long form, in text order."""
        found = [m for m in TOKEN.finditer(text) if looks_abbreviated(m.group(1))]
        senses = self.senses_at(text, [(m.group(1), m.start(1)) for m in found])
        out: list[Expansion] = []
        for m, sense in zip(found, senses, strict=True):
            if sense is None:
                continue
            long, source = sense
            if source == "document" and text[m.start(1) - 1 : m.start(1)] == "(":
                continue  # the definition itself: "long form (SF)"
            out.append(Expansion(m.start(1), m.end(1), m.group(1), long, source))
        return out

    def expand(self, text: str) -> tuple[str, list[Expansion]]:
        """`text` with each abbreviation replaced by its long form, and the expansions made
        (offsets in the input)."""
        exps = self.expansions(text)
        parts, last = [], 0
        for e in exps:
            parts += [text[last : e.start], e.long]
            last = e.end
        parts.append(text[last:])
        return "".join(parts), exps
