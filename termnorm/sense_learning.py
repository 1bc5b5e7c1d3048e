"""Abbreviation senses that adapt to a hospital's own notes, by reverse substitution.

Where a note writes a sense's long form out ("physical therapy", "pulmonary embolism"), the
words around it are the words that surround its abbreviation elsewhere. For every short form
with several senses, `learn` counts in which of its senses' written-out contexts each word
occurs and keeps, per sense, the words whose log-odds for it against the short form's other
senses are high (`MIN_WEIGHT`, at most `TOP_WORDS`). `SenseTable` adds the weights of the words
found around a mention to each sense's score, in Rust, in the annotation pass.

The counts are kept in the terminology folder, in the file its manifest's `learned_senses`
entry names (short, long, word, n), so every later load uses them and a second corpus adds to
the first.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import orjson
import polars as pl
import pyarrow as pa

from ontology import store
from ontology.schema import SYNONYM_KINDS
from termnorm._native import Engine
from termnorm.text import fold_array

KEY = "learned_senses"  # its manifest entry
WINDOW = 400  # chars either side, as the sense table reads them
MIN_SEEN = 5  # written-out occurrences of a sense before its context counts
MIN_WORD = 3  # occurrences of a word beside a sense before it is a cue
MIN_WEIGHT = 1.0  # log-odds a cue needs
MAX_WEIGHT = 3.0  # one word never outweighs more than this
TOP_WORDS = 40
WORD = re.compile(r"[a-z][a-z0-9]{2,}")
STOP = frozenset(
    [
        "the",
        "and",
        "with",
        "was",
        "were",
        "for",
        "that",
        "this",
        "from",
        "has",
        "have",
        "had",
        "not",
        "are",
        "his",
        "her",
        "she",
        "patient",
        "patients",
        "which",
        "there",
        "been",
        "also",
        "into",
        "than",
        "then",
        "they",
        "them",
        "our",
        "out",
        "any",
        "all",
        "but",
        "one",
        "two",
        "per",
        "who",
        "will",
        "would",
        "may",
        "can",
        "could",
        "should",
    ]
)
SCHEMA = {"short": pl.Utf8, "long": pl.Utf8, "word": pl.Utf8, "weight": pl.Float64}
COUNTS = {"short": pl.Utf8, "long": pl.Utf8, "word": pl.Utf8, "n": pl.Int64}


def _ambiguous(senses: dict[str, list[tuple[str, int, str]]]) -> dict[str, list[tuple[str, str]]]:
    """Normalized long form -> [(short form, long form as given)] over the short forms with
    several clinical (not only MEDLINE) senses."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for short, opts in senses.items():
        clinical = [long for long, _, source in opts if source != "inventory"]
        if len(set(clinical)) < 2:
            continue
        for long, norm in zip(clinical, fold_array(clinical).to_pylist(), strict=True):
            if norm and (short, long) not in out[norm]:
                out[norm].append((short, long))
    return out


def _occurrences(longs: list[str], texts: Sequence[str]) -> pa.Table:
    """(doc, start, end, concept) of every written-out long form, leftmost-longest."""
    ids = [str(i) for i in range(len(longs))]
    exact = SYNONYM_KINDS.index("exact")
    engine = Engine.build(
        ids,
        pa.array(longs, pa.large_string()),
        pa.array(range(len(longs)), pa.uint32()),
        pa.array([exact] * len(longs), pa.uint8()),
        ids,
    )
    found, _ = engine.annotate_array(pa.array(texts, pa.large_string()))
    return pa.Table.from_struct_array(found).select(["doc", "start", "end", "concept"])


def _context(text: str, start: int, end: int) -> set[str]:
    around = text[max(0, start - WINDOW) : start] + " " + text[end : end + WINDOW]
    return {w for w in WORD.findall(around.lower()) if w not in STOP}


def count(
    senses: dict[str, list[tuple[str, int, str]]], texts: Iterable[str | None]
) -> pl.DataFrame:
    """`COUNTS` of `texts`: per (short, long) sense of `senses` (a `SenseInventory`'s), how
    often each word occurs around its written-out long form; `word` "" counts the occurrences."""
    texts = [t or "" for t in texts]
    by_norm = _ambiguous(senses)
    longs = list(by_norm)
    if not longs or not texts:
        return pl.DataFrame(schema=COUNTS)
    occ = _occurrences(longs, texts)
    words: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for doc, start, end, concept in zip(
        *(occ.column(c).to_pylist() for c in ("doc", "start", "end", "concept")), strict=True
    ):
        norm = longs[concept]
        ctx = _context(texts[doc], start, end) - set(WORD.findall(norm))
        for sense in by_norm[norm]:
            words[sense][""] += 1
            words[sense].update(ctx)
    rows = [(*sense, w, n) for sense in sorted(words) for w, n in sorted(words[sense].items())]
    return pl.DataFrame(rows, schema=COUNTS, orient="row")


def weights(counts: pl.DataFrame) -> pl.DataFrame:
    """Cue words (`SCHEMA`) from `COUNTS`: per sense seen `MIN_SEEN` times, of a short form
    with two such senses, the words whose log-odds for it against the others reach
    `MIN_WEIGHT`."""
    seen: Counter = Counter()
    words: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for short, long, w, n in counts.iter_rows():
        if w:
            words[(short, long)][w] += n
        else:
            seen[(short, long)] += n
    rows = []
    for short in sorted({s for s, _ in seen}):
        mine = [k for k in seen if k[0] == short and seen[k] >= MIN_SEEN]
        if len(mine) < 2:
            continue
        total: Counter = Counter()
        for k in mine:
            total.update(words[k])
        n_all = sum(seen[k] for k in mine)
        for sense in sorted(mine):
            n_s = seen[sense]
            n_o = n_all - n_s
            scored = []
            for w, c in words[sense].items():
                if c < MIN_WORD:
                    continue
                c_o = total[w] - c
                odds = math.log((c + 1) / (n_s + 2)) - math.log((c_o + 1) / (n_o + 2))
                if odds >= MIN_WEIGHT:
                    scored.append((min(odds, MAX_WEIGHT), w))
            scored.sort(key=lambda x: (-x[0], x[1]))
            rows += [(short, sense[1], w, round(x, 4)) for x, w in scored[:TOP_WORDS]]
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def learn(
    senses: dict[str, list[tuple[str, int, str]]], texts: Iterable[str | None]
) -> pl.DataFrame:
    """Cue words (`SCHEMA`) for the senses of `senses` from `texts` alone."""
    return weights(count(senses, texts))


def read_notes(path: str | Path, field: str) -> list[str]:
    """Note texts: JSON Lines (plain, gzip or zstd) with the text in `field`, or a plain text
    file (one note)."""
    from ontology.errors import SourceError
    from ontology.io import read_bytes, read_lines

    p = Path(path)
    if ".jsonl" not in p.name and not p.name.endswith(".json"):
        return [read_bytes(p).decode("utf-8", errors="replace")]
    notes = []
    for no, line in read_lines(p):
        if not line.strip():
            continue
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            raise SourceError(p, no, f"not JSON: {e}") from None
        text = rec.get(field) if isinstance(rec, dict) else None
        if isinstance(text, str):
            notes.append(text)
    if not notes:
        raise SourceError(p, None, f"no record has a text field {field!r}")
    return notes


def read(folder: str | Path) -> pl.DataFrame:
    """The cue words (`SCHEMA`) of every note corpus learned from so far."""
    counts = store.added(folder, KEY)
    if counts is not None and "weight" in counts.columns:
        return counts.select(list(SCHEMA))  # learned before counts were kept: its weights
    return pl.DataFrame(schema=SCHEMA) if counts is None else weights(counts)


def save(folder: str | Path, counts: pl.DataFrame, source: str, notes: int) -> dict:
    """Add `counts` (of `notes` notes from `source`) to the folder's, each corpus learned from
    adding to the last, and record them in the manifest. Returns the manifest entry."""

    def change(prior: pl.DataFrame | None, entry: dict) -> tuple[pl.DataFrame, dict]:
        if prior is not None and "n" not in prior.columns:
            warnings.warn(
                f"{folder}: its cue words were learned before counts were kept and "
                f"cannot be added to; {source} replaces them",
                stacklevel=3,
            )
            prior, entry = None, {}
        both = (
            counts
            if prior is None
            else (
                pl.concat([prior, counts])
                .group_by("short", "long", "word")
                .agg(pl.col("n").sum())
                .sort("short", "long", "word")
            )
        )
        cues = weights(both)
        return both, {
            "sources": [*entry.get("sources", []), source],
            "notes": entry.get("notes", 0) + notes,
            "short_forms": cues["short"].n_unique(),
            "words": cues.height,
        }

    return store.update_table(folder, KEY, change)


def by_sense(
    table: pl.DataFrame, senses: dict[str, list[tuple[str, int, str]]]
) -> list[tuple[int, list[tuple[str, float]]]]:
    """`table`'s words per sense index of `senses` (in its order), as `SenseTable` takes them."""
    words: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for short, long, word, weight in table.iter_rows():
        words[(short, long)].append((word, weight))
    out, at = [], 0
    for short, opts in senses.items():
        for i, (long, _, _) in enumerate(opts):
            if (short, long) in words:
                out.append((at + i, words.pop((short, long))))
        at += len(opts)
    return out


def substitution_accuracy(inventory, texts: Sequence[str], per_sense: int = 50) -> dict:
    """Reverse substitution on `texts` (notes not learned from): each written-out long form of
    an ambiguous short form (at most `per_sense` per sense) replaced by the short form in upper
    case, the sense the inventory's table chooses there compared with it. Returns the share
    right over all, and averaged over short forms."""
    by_norm = _ambiguous(inventory.senses)
    longs = list(by_norm)
    occ = _occurrences(longs, texts)
    shorts = fold_array([s for opts in by_norm.values() for s, _ in opts]).to_pylist()
    norm_short = dict(zip([s for opts in by_norm.values() for s, _ in opts], shorts, strict=True))
    taken: Counter = Counter()
    right: dict[str, list[bool]] = defaultdict(list)
    for doc, start, end, concept in zip(
        *(occ.column(c).to_pylist() for c in ("doc", "start", "end", "concept")), strict=True
    ):
        norm = longs[concept]
        for short, long in by_norm[norm]:
            if taken[(short, long)] >= per_sense:
                continue
            taken[(short, long)] += 1
            text = texts[doc]
            swapped = text[:start] + short.upper() + text[end:]
            chosen = inventory.table.choose(swapped, [norm_short[short]], [start])[0]
            got = inventory.sense(chosen)[0] if chosen is not None else None
            right[short].append(got is not None and fold_array([got]).to_pylist()[0] == norm)
    every = [x for v in right.values() for x in v]
    return {
        "occurrences": len(every),
        "short_forms": len(right),
        "accuracy": sum(every) / len(every) if every else 0.0,
        "macro": sum(sum(v) / len(v) for v in right.values()) / len(right) if right else 0.0,
    }
