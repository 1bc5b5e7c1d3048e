"""Scoring de-identification the way the PhysioNet deid authors do (Neamatullah et al. 2008):
a gold PHI instance is found when a predicted span overlaps it; a predicted span that overlaps
no gold span is a false positive. Recall per gold category, precision over all predictions.

    notes, gold = read_deid("deid-folder")         # id.text + id-phi.phrase
    report = score(notes, gold)                     # {"recall": ..., "precision": ..., ...}

The deid layout: `id.text` holds the notes, each between `START_OF_RECORD=P||||N||||` and
`||||END_OF_RECORD`; `id-phi.phrase` has one gold instance a line, `P N START END CATEGORY
[PHRASE]`, offsets into the note's text (from the char after the header's line break).
The project's own sets (`tests/fixtures/phi/*.txt`) mark PHI inline as `{{TYPE|text}}`
under `### NOTE id style` headers; `read_marked` turns them into the same shape.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from termnorm_utils.errors import InputError

Key = tuple[str, str]
Gold = list[tuple[Key, int, int, str]]

_RECORD = re.compile(
    r"START_OF_RECORD=(\d+)\|\|\|\|(\d+)\|\|\|\|\r?\n(.*?)\|\|\|\|END_OF_RECORD", re.DOTALL
)
_MARK = re.compile(r"\{\{([A-Z_]+)\|(.*?)\}\}", re.DOTALL)


def read_deid(folder: str | Path) -> tuple[dict[Key, str], Gold]:
    folder = Path(folder)
    text_path, phrase_path = folder / "id.text", folder / "id-phi.phrase"
    for p in (text_path, phrase_path):
        if not p.is_file():
            raise FileNotFoundError(f"{p}: missing (a deid folder holds id.text and id-phi.phrase)")
    # newline="" keeps \r\n: the gold offsets count every char of the file
    with open(text_path, encoding="utf-8", errors="replace", newline="") as f:
        raw = f.read()
    notes = {(m.group(1), m.group(2)): m.group(3) for m in _RECORD.finditer(raw)}
    if not notes:
        raise InputError(f"{text_path}: no START_OF_RECORD=P||||N|||| ... ||||END_OF_RECORD note")
    gold: Gold = []
    for n, line in enumerate(phrase_path.read_text(encoding="utf-8").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 5 or not all(p.isdigit() for p in parts[:4]):
            raise InputError(
                f"{phrase_path}:{n}: expected 'PATIENT NOTE START END CATEGORY', got {line[:60]!r}"
            )
        key = (parts[0], parts[1])
        if key not in notes:
            raise InputError(
                f"{phrase_path}:{n}: patient {key[0]} note {key[1]} is not in {text_path}"
            )
        gold.append((key, int(parts[2]), int(parts[3]), parts[4]))
    return notes, gold


def read_marked(path: str | Path) -> tuple[dict[Key, str], Gold]:
    """A file of `### NOTE id style` notes with `{{TYPE|text}}` marks: the plain notes (key
    (id, style)) and the marks as gold spans."""
    path = Path(path)
    notes: dict[Key, str] = {}
    gold: Gold = []
    chunks = re.split(
        r"^### NOTE (\S+) (\S+)[ \t]*\n", path.read_text(encoding="utf-8"), flags=re.MULTILINE
    )
    for i in range(1, len(chunks) - 2, 3):
        key = (chunks[i], chunks[i + 1])
        body = chunks[i + 2].rstrip()
        out, at = [], 0
        length = 0
        for m in _MARK.finditer(body):
            out.append(body[at : m.start()])
            length += m.start() - at
            gold.append((key, length, length + len(m.group(2)), m.group(1)))
            out.append(m.group(2))
            length += len(m.group(2))
            at = m.end()
        out.append(body[at:])
        notes[key] = "".join(out)
    if not notes:
        raise InputError(f"{path}: no '### NOTE id style' header")
    return notes, gold


def write_deid(notes: dict[Key, str], gold: Gold, folder: str | Path) -> None:
    """`notes` and `gold` in the deid layout (for tests and for sharing a set)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ids = {k: (str(i // 10 + 1), str(i % 10 + 1)) for i, k in enumerate(notes)}
    with open(folder / "id.text", "w", encoding="utf-8") as f:
        for k, text in notes.items():
            p, n = ids[k]
            f.write(f"START_OF_RECORD={p}||||{n}||||\n{text}\n||||END_OF_RECORD\n")
    with open(folder / "id-phi.phrase", "w", encoding="utf-8") as f:
        for k, s, e, cat in gold:
            p, n = ids[k]
            f.write(f"{p} {n} {s} {e} {cat} {notes[k][s:e].replace(chr(10), ' ')}\n")


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score(
    notes: dict[Key, str],
    gold: Gold,
    find: Callable[[str], Iterable[tuple[int, int, str]]] | None = None,
) -> dict:
    """Recall (all and per gold category), precision, and the misses and false positives
    (with a little context), `find` giving each note's predicted (start, end, type)."""
    if find is None:
        from corpus.stages.phi import find
    predicted = {k: [(s, e) for s, e, _ in find(t)] for k, t in notes.items()}
    by_note: dict[Key, list[tuple[int, int]]] = defaultdict(list)
    per_cat: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for k, s, e, cat in gold:
        by_note[k].append((s, e))
        hit = any(_overlaps((s, e), p) for p in predicted.get(k, ()))
        per_cat[cat][0] += hit
        per_cat[cat][1] += 1
        if not hit:
            t = notes[k]
            misses.append(
                {
                    "note": k,
                    "category": cat,
                    "text": t[s:e],
                    "context": t[max(0, s - 30) : e + 30].replace("\n", " "),
                }
            )
    fps = []
    n_pred = 0
    for k, spans in predicted.items():
        for p in spans:
            n_pred += 1
            if not any(_overlaps(p, g) for g in by_note.get(k, ())):
                t = notes[k]
                fps.append(
                    {
                        "note": k,
                        "text": t[p[0] : p[1]],
                        "context": t[max(0, p[0] - 30) : p[1] + 30].replace("\n", " "),
                    }
                )
    found = sum(v[0] for v in per_cat.values())
    total = sum(v[1] for v in per_cat.values())
    return {
        "notes": len(notes),
        "gold": total,
        "predicted": n_pred,
        "recall": found / total if total else 1.0,
        "precision": (n_pred - len(fps)) / n_pred if n_pred else 1.0,
        "by_category": {
            c: {"found": f, "total": n, "recall": f / n} for c, (f, n) in sorted(per_cat.items())
        },
        "misses": misses,
        "false_positives": fps,
    }


def kept_words(
    notes: dict[Key, str],
    gold: Gold,
    find: Callable[[str], Iterable[tuple[int, int, str]]] | None = None,
) -> float:
    """The share of the words outside gold PHI that no predicted span touches."""
    if find is None:
        from corpus.stages.phi import find
    by_note: dict[Key, list[tuple[int, int]]] = defaultdict(list)
    for k, s, e, _ in gold:
        by_note[k].append((s, e))
    kept = total = 0
    for k, t in notes.items():
        pred = [(s, e) for s, e, _ in find(t)]
        for m in re.finditer(r"\w+", t):
            w = (m.start(), m.end())
            if any(_overlaps(w, g) for g in by_note[k]):
                continue
            total += 1
            kept += not any(_overlaps(w, p) for p in pred)
    return kept / total if total else 1.0
