"""Abbreviation senses: which long form an abbreviation stands for in a given document.

Sources, strongest first: a definition in the document itself ("long form (SF)", see
`termnorm.abbreviations`), the clinical shorthand below (curated: one sense each), then the
abbreviation synonyms of the terminology (ADAM's inventory, with how often each sense was seen).
Among several senses the one whose long-form words also occur within `CONTEXT_WINDOW` chars of
the abbreviation wins ("MI" next to "mitral regurgitation" is mitral insufficiency, not
myocardial infarction); ties go to the most frequent sense. The choice is made in Rust
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
from termnorm import lexicon
from termnorm._native import SenseTable
from termnorm.abbreviations import defined_forms
from termnorm.text import normalize_array

# Clinical shorthand that note writers use and abbreviation inventories from papers miss.
SHORTHAND: dict[str, str] = {
    "c/o": "complains of", "h/o": "history of", "s/p": "status post", "w/": "with",
    "w/o": "without", "r/o": "rule out", "n/v": "nausea and vomiting", "f/u": "follow up",
    "sob": "shortness of breath", "doe": "dyspnea on exertion", "cp": "chest pain",
    "mi": "myocardial infarction", "htn": "hypertension", "dm": "diabetes mellitus",
    "dm2": "type 2 diabetes mellitus", "t2dm": "type 2 diabetes mellitus",
    "dm1": "type 1 diabetes mellitus", "t1dm": "type 1 diabetes mellitus",
    "chf": "congestive heart failure", "cad": "coronary artery disease",
    "copd": "chronic obstructive pulmonary disease", "ckd": "chronic kidney disease",
    "afib": "atrial fibrillation", "a-fib": "atrial fibrillation", "uti": "urinary tract infection",
    "uri": "upper respiratory infection", "gerd": "gastroesophageal reflux disease",
    "cva": "cerebrovascular accident", "tia": "transient ischemic attack",
    "dvt": "deep vein thrombosis", "pe": "pulmonary embolism", "osa": "obstructive sleep apnea",
    "bph": "benign prostatic hyperplasia", "loc": "loss of consciousness",
    "abd": "abdominal", "hx": "history", "fhx": "family history", "dx": "diagnosis",
    "tx": "treatment", "rx": "prescription", "sx": "symptoms", "bx": "biopsy",
    "nkda": "no known drug allergies", "prn": "as needed", "bid": "twice a day",
    "tid": "three times a day", "qd": "every day", "po": "by mouth",
}

SHORTHAND_FREQ = 10**9  # above any count in an inventory

# A token that may be an abbreviation: letters/digits with an optional slash or hyphen part.
TOKEN = re.compile(r"(?<![\w/-])([A-Za-z][A-Za-z0-9]*(?:[/-][A-Za-z0-9]*)?)(?![\w])")
# Chars either side of an abbreviation whose words choose its sense: the paragraph, roughly.
CONTEXT_WINDOW = 400


def looks_abbreviated(surface: str) -> bool:
    """Written as an abbreviation: a capital or digit after the first char, or a slash ("MI",
    "DM2", "c/o"); "mi" and "as" in running text stay words."""
    return "/" in surface or any(c.isupper() or c.isdigit() for c in surface[1:]) or (
        len(surface) > 1 and surface.isupper())


@dataclass(frozen=True)
class Expansion:
    start: int
    end: int
    short: str
    long: str
    source: str  # "document", "shorthand" or "inventory"


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


def _merged(senses: dict[str, list[tuple[str, int]]]) -> dict[str, list[tuple[str, int]]]:
    """`senses` with the clinical shorthand, by normalized short form, most frequent first."""
    merged: dict[str, list[tuple[str, int]]] = defaultdict(list)
    shorts = list(dict.fromkeys([*senses, *SHORTHAND]))
    for short, key in zip(shorts, normalize_array(shorts).to_pylist(), strict=True):
        if short in SHORTHAND:
            merged[key].append((SHORTHAND[short], SHORTHAND_FREQ))
        merged[key].extend(senses.get(short, ()))
    return {k: sorted(v, key=lambda s: (-s[1], s[0])) for k, v in merged.items()}


def _terminology_senses(folder: str | Path) -> dict[str, list[tuple[str, int]]]:
    """Short form -> [(long form, frequency)] from the terminology's abbreviation synonyms."""
    syn = store.scan(folder, "synonyms")
    abbr = syn.filter(pl.col("kind") == "abbreviation").select(
        pl.col("term").str.to_lowercase().alias("short"), "concept_id",
        pl.col("freq").fill_null(1))
    names = store.scan(folder, "concepts").select("concept_id", pl.col("name").alias("long"))
    rows = (abbr.join(names, on="concept_id").filter(pl.col("long").str.len_chars() > 0)
            .group_by("short", pl.col("long").str.to_lowercase())
            .agg(pl.col("freq").sum()).collect())
    g = rows.sort("short", "long").group_by("short", maintain_order=True).agg("long", "freq")
    return {short: list(zip(longs, freqs, strict=True)) for short, longs, freqs
            in zip(*(g[c].to_list() for c in ("short", "long", "freq")), strict=True)}


def _rows(senses: dict[str, list[tuple[str, int]]]) -> pl.DataFrame:
    """An inventory's senses as rows (short, long, freq), in its order."""
    return pl.DataFrame({"short": [k for k, v in senses.items() for _ in v],
                         "long": [long for v in senses.values() for long, _ in v],
                         "freq": [f for v in senses.values() for _, f in v]},
                        schema={"short": pl.Utf8, "long": pl.Utf8, "freq": pl.Int64})


def _nested(rows: pl.DataFrame) -> dict[str, list[tuple[str, int]]]:
    senses: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for short, long, freq in zip(*(rows[c].to_list() for c in ("short", "long", "freq")),
                                 strict=True):
        senses[short].append((long, freq))
    return dict(senses)


class SenseInventory:
    def __init__(self, senses: dict[str, list[tuple[str, int]]]) -> None:
        self._use(_merged(senses))

    def _use(self, senses: dict[str, list[tuple[str, int]]]) -> None:
        """Take `senses` (already merged and ordered) as this inventory's."""
        self.senses = senses
        # A sense is named by its index over all short forms' senses, in this order.
        self._longs = [long for v in self.senses.values() for long, _ in v]
        self._shorthand = [freq == SHORTHAND_FREQ for v in self.senses.values() for _, freq in v]
        self.table = SenseTable(list(self.senses.items()), CONTEXT_WINDOW)

    @classmethod
    def from_terminology(cls, folder: str | Path) -> SenseInventory:
        """Abbreviation synonyms of a built terminology, each paired with its concept's
        preferred name as the long form. The merged inventory is kept beside the terminology's
        tables (`store.derived`): 0.5 s to derive for the full terminology, 0.1 s to read."""
        rules = orjson.dumps([SHORTHAND, lexicon.VERSION]).decode()
        with _collector_paused():
            rows = store.derived(folder, "senses", rules,
                                 lambda: _rows(_merged(_terminology_senses(folder))))
            inventory = cls.__new__(cls)
            inventory._use(_nested(rows))
        return inventory

    @classmethod
    def _from_terminology(cls, folder: str | Path) -> SenseInventory:
        """The inventory derived afresh (what `from_terminology` saves)."""
        return cls(_terminology_senses(folder))

    def sense(self, index: int) -> tuple[str, str]:
        """(long form, source) of a sense index from the table."""
        return self._longs[index], "shorthand" if self._shorthand[index] else "inventory"

    def senses_at(self, text: str, found: list[tuple[str, int]]
                  ) -> list[tuple[str, str] | None]:
        """(long form, source) of each abbreviation `(surface, char offset)` of `text`: the
        document's own definition ("long form (SF)"), else the sense the words around it
        choose; None for an unknown short form."""
        shorts = normalize_array([s for s, _ in found]).to_pylist()
        chosen = self.table.choose(text, shorts, [at for _, at in found])
        defs = defined_forms(text) if found else {}
        out: list[tuple[str, str] | None] = []
        for (surface, _), i in zip(found, chosen, strict=True):
            long = defs.get(surface.lower())
            out.append((long, "document") if long is not None
                       else None if i is None else self.sense(i))
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
            if source == "document" and text[m.start(1) - 1:m.start(1)] == "(":
                continue  # the definition itself: "long form (SF)"
            out.append(Expansion(m.start(1), m.end(1), m.group(1), long, source))
        return out

    def expand(self, text: str) -> tuple[str, list[Expansion]]:
        """`text` with each abbreviation replaced by its long form, and the expansions made
        (offsets in the input)."""
        exps = self.expansions(text)
        parts, last = [], 0
        for e in exps:
            parts += [text[last:e.start], e.long]
            last = e.end
        parts.append(text[last:])
        return "".join(parts), exps
