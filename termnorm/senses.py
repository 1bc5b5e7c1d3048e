"""Abbreviation senses: which long form an abbreviation stands for in a given document.

Sources, strongest first: a definition in the document itself ("long form (SF)", see
`termnorm.abbreviations`), the clinical shorthand below (curated: one sense each), then the
abbreviation synonyms of the terminology (ADAM's inventory, with how often each sense was seen).
Among several senses the one whose long-form words also occur within `CONTEXT_WINDOW` chars of
the abbreviation wins ("MI" next to "mitral regurgitation" is mitral insufficiency, not
myocardial infarction); ties go to the most frequent sense. `sense_at` is the one place that
decides, for both `expand` and the mentions of `Normalizer.normalize`.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ontology import store
from termnorm.abbreviations import definitions

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
WORDS = re.compile(r"[a-z0-9]+")
STOP = {"of", "the", "and", "with", "in", "a", "an", "to", "for", "or", "by", "on", "after",
        "patients", "patient"}
# Chars either side of an abbreviation whose words choose its sense: the paragraph, roughly.
CONTEXT_WINDOW = 400


def context_words(text: str, at: int, window: int = CONTEXT_WINDOW) -> set[str]:
    """The lower-cased words within `window` chars of char `at` of `text`."""
    return set(WORDS.findall(text[max(0, at - window):at + window].lower()))


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


class SenseInventory:
    def __init__(self, senses: dict[str, list[tuple[str, int]]]) -> None:
        # short form (lower case) -> [(long form, frequency)], most frequent first
        merged = {k: list(v) for k, v in senses.items()}
        for short, long in SHORTHAND.items():
            merged.setdefault(short, []).append((long, SHORTHAND_FREQ))
        self.senses = {k: sorted(v, key=lambda s: (-s[1], s[0])) for k, v in merged.items()}
        self._words: dict[str, frozenset[str]] = {}  # long form -> its content words
        self._cues: dict[str, frozenset[str]] = {}  # short form -> all its senses' words
        self._choices: dict[tuple[str, frozenset[str]], tuple[str, int]] = {}

    @classmethod
    def from_terminology(cls, folder: str | Path) -> SenseInventory:
        """Abbreviation synonyms of a built terminology, each paired with its concept's
        preferred name as the long form."""
        syn = store.scan(folder, "synonyms")
        abbr = syn.filter(pl.col("kind") == "abbreviation").select(
            pl.col("term").str.to_lowercase().alias("short"), "concept_id",
            pl.col("freq").fill_null(1))
        names = store.scan(folder, "concepts").select("concept_id", pl.col("name").alias("long"))
        rows = (abbr.join(names, on="concept_id").filter(pl.col("long").str.len_chars() > 0)
                .group_by("short", pl.col("long").str.to_lowercase())
                .agg(pl.col("freq").sum()).collect())
        senses: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for short, long, freq in rows.iter_rows():
            senses[short].append((long, int(freq)))
        return cls(dict(senses))

    def choose(self, short: str, context: AbstractSet[str] | Callable[[], AbstractSet[str]]
               ) -> tuple[str, str] | None:
        """(long form, source) for `short` in a document whose words are `context` (or a
        function giving them, called only when there is a choice to make): the sense sharing
        most words with the document, then the most frequent; the curated shorthand sense
        counts as the most frequent."""
        key = short.lower()
        options = self.senses.get(key)
        if not options:
            return None
        best = options[0]
        if len(options) > 1:
            # Only the context words some sense uses can change the choice: the choice is
            # cached on those, so repeated abbreviations cost a set intersection.
            cue = frozenset((context() if callable(context) else context) & self._cue_words(key))
            found = self._choices.get((key, cue))
            if found is None:

                def score(sense: tuple[str, int]) -> tuple[int, float]:
                    return len(self._content_words(sense[0]) & cue), math.log1p(sense[1])

                found = self._choices[(key, cue)] = max(options, key=score)
            best = found
        return best[0], "shorthand" if best[1] == SHORTHAND_FREQ else "inventory"

    def _cue_words(self, key: str) -> frozenset[str]:
        found = self._cues.get(key)
        if found is None:
            found = self._cues[key] = frozenset().union(
                *(self._content_words(long) for long, _ in self.senses[key]))
        return found

    def _content_words(self, long: str) -> frozenset[str]:
        found = self._words.get(long)
        if found is None:
            found = self._words[long] = frozenset(
                w for w in WORDS.findall(long) if len(w) > 2 and w not in STOP)
        return found

    def sense_at(self, text: str, surface: str, at: int) -> tuple[str, str] | None:
        """(long form, source) of the abbreviation `surface` at char `at` of `text`: the
        document's own definition ("long form (SF)"), else `choose` by the words around it."""
        key = surface.lower()
        long = next((v for k, v in definitions(text).items() if k.lower() == key), None)
        if long is not None:
            return long, "document"
        return self.choose(surface, lambda: context_words(text, at))

    def expansions(self, text: str) -> list[Expansion]:
        """Every abbreviation in `text` with its chosen long form, in text order."""
        out: list[Expansion] = []
        for m in TOKEN.finditer(text):
            surface = m.group(1)
            if not looks_abbreviated(surface):
                continue
            found = self.sense_at(text, surface, m.start(1))
            if not found:
                continue
            long, source = found
            if source == "document" and text[m.start(1) - 1:m.start(1)] == "(":
                continue  # the definition itself: "long form (SF)"
            out.append(Expansion(m.start(1), m.end(1), surface, long, source))
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
