"""Clinical abbreviation sense inventories, the sources of the Grossman Liu et al. (2021)
meta-inventory: a folder with any of

- `vanderbilt_clinic_notes.tsv`, `vanderbilt_discharge_sums.tsv`: abbreviation, sense,
  variation, CUI, frequency (the sense's share of the short form's uses in the notes);
- `stetson_sense_distribution_448.tsv`: short form, sense, proportion (no header);
- `columbia_obgyn.txt`: `SF long form` lines, no frequencies;
- `metainventory_RetiredRecords_Version1.0.0.psv[.gz]`: records the meta-inventory's quality
  control removed; they are left out here too.

Each sense becomes a `CLINABBR:` concept named by its long form (keyed by a hash of the lower-cased
long form, stable across releases) with the short form as its `abbreviation` synonym. `freq` is
the sense's clinical share in millionths, averaged over the inventories that list the short form
(a short form without frequencies shares equally): priors from clinical notes, not MEDLINE counts.
Which concept a sense means is the lexicon's job (it maps the long form by name).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

import polars as pl

from ontology.errors import SourceError
from ontology.io import read_lines
from ontology.schema import TermTables

SHARE_SOURCES = {  # file -> (meta-inventory Source, SF, LF and share columns, our label)
    "vanderbilt_clinic_notes.tsv": ("Vanderbilt Clinic Notes", 0, 1, 4, "vanderbilt-clinic"),
    "vanderbilt_discharge_sums.tsv": ("Vanderbilt Discharge Sums", 0, 1, 4, "vanderbilt-discharge"),
    "stetson_sense_distribution_448.tsv": ("Stetson", 0, 1, 2, "stetson"),
}
COLUMBIA = "columbia_obgyn.txt"
RETIRED = "metainventory_RetiredRecords_Version1.0.0.psv"
SCALE = 1_000_000


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _retired(folder: Path) -> set[tuple[str, str, str]]:
    """(source, short form, long form) of the records quality control removed."""
    path = next((p for p in (folder / RETIRED, folder / f"{RETIRED}.gz") if p.exists()), None)
    out: set[tuple[str, str, str]] = set()
    if path is None:
        return out
    for no, line in read_lines(path):
        cells = line.split("|")
        if no == 1 or len(cells) < 9:
            continue
        out.add((cells[8], _key(cells[2]), _key(cells[5])))
    return out


def _shares(path: Path, cols: tuple[str, int, int, int], retired: set) -> dict[str, dict]:
    source, sf_col, lf_col, share_col, _ = cols
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for no, line in read_lines(path):
        cells = line.split("\t")
        if no == 1 and cells[0] == "abbreviation":
            continue
        if not line.strip():
            continue
        if len(cells) <= max(sf_col, lf_col, share_col):
            raise SourceError(path, no, f"expected at least {share_col + 1} tab-separated cells")
        sf, lf = cells[sf_col].strip(), cells[lf_col].strip()
        try:
            share = float(cells[share_col])
        except ValueError:
            raise SourceError(
                path, no, f"sense share {cells[share_col]!r} is not a number"
            ) from None
        if sf and lf and (source, _key(sf), _key(lf)) not in retired:
            out[_key(sf)][lf] = out[_key(sf)].get(lf, 0.0) + share
    return out


def _columbia(path: Path) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for no, line in read_lines(path):
        sf, _, lf = line.strip().partition(" ")
        if not sf:
            continue
        if not lf.strip():
            raise SourceError(path, no, "expected 'SF long form'")
        out[_key(sf)][lf.strip()] = 1.0
    for senses in out.values():
        for lf in senses:
            senses[lf] = 1.0 / len(senses)
    return out


def load(path: str | Path) -> TermTables:
    folder = Path(path)
    if not folder.is_dir():
        raise SourceError(folder, None, "expected the folder of clinical sense inventories")
    retired = _retired(folder)
    inventories = [
        (cols[-1], _shares(folder / f, cols, retired))
        for f, cols in SHARE_SOURCES.items()
        if (folder / f).exists()
    ]
    if (folder / COLUMBIA).exists():
        inventories.append(("columbia", _columbia(folder / COLUMBIA)))
    if not inventories:
        raise SourceError(folder, None, f"none of {', '.join([*SHARE_SOURCES, COLUMBIA])} found")
    # short form -> long form (lower-cased) -> [summed share, the spelling first seen, sources]
    merged: dict[str, dict[str, list]] = defaultdict(dict)
    listed: dict[str, int] = defaultdict(int)  # inventories that list the short form
    for name, inv in inventories:
        for sf, senses in inv.items():
            listed[sf] += 1
            for lf, share in senses.items():
                slot = merged[sf].setdefault(_key(lf), [0.0, lf, []])
                slot[0] += share
                slot[2].append(name)
    concepts: dict[str, dict] = {}
    synonyms = []
    for sf in sorted(merged):
        for key, (share, lf, sources) in sorted(merged[sf].items()):
            cid = "CLINABBR:" + hashlib.sha1(key.encode()).hexdigest()[:12]
            concepts.setdefault(
                cid,
                {
                    "concept_id": cid,
                    "vocab": "CLINABBR",
                    "name": lf,
                    "lang": "en",
                    "semantic_types": ["abbreviation sense"],
                    "obsolete": False,
                },
            )
            synonyms.append(
                {
                    "concept_id": cid,
                    "term": sf,
                    "lang": "en",
                    "kind": "abbreviation",
                    "source": "+".join(sorted(set(sources))),
                    "freq": max(1, round(SCALE * share / listed[sf])),
                }
            )
    syn = (
        pl.DataFrame(synonyms)
        .group_by(["concept_id", "term", "lang", "kind"], maintain_order=True)
        .agg(pl.col("source").first(), pl.col("freq").sum())
    )
    return TermTables(
        list(concepts.values()), syn, versions={"clinabbr": "+".join(n for n, _ in inventories)}
    )
