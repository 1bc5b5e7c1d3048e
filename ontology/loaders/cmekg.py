"""CMeKG (Chinese Medical Knowledge Graph, as PyCMeKG ships it): a folder with
`cmekg_entities.tsv.gz` (subject, type_guess, ...), `cmekg_names.tsv.gz` (subject, type_guess,
relation, name) and `cmekg_icd10.tsv` (subject, type_guess, icd10_raw).

CMeKG is built automatically and is noisy, so its Chinese terms join the other sources'
concepts by evidence (`ATTACHMENTS`, resolved in the merge) and keep a `CMEKG:` concept of their
own only where there is none:

- a subject's ICD-10 code, as an ICD-10 Beijing code, else an ICD-10-CM one, or the concept
  under that code that the term or its subject names (`:code`);
- else a name of it that another source has: its English names (英文名, 英文名称, 英文别名), a drug's
  without the dosage form ("Aspirin Enteric-coated Tablets" -> aspirin), or the subject itself
  (`:name`).

A subject's terms: itself, its aliases that share two characters with it (别称, 又称, 同义词: 冠心病
for 冠状动脉粥样硬化性心脏病), a drug product's brand names (商品名) and generic name (通用名), and for
a product the ingredient its name gives without the dosage form (阿司匹林肠溶片 -> 阿司匹林). TCM formulas and herbs are left out:
no other source has them.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from ontology.errors import SourceError
from ontology.io import read_folder_table
from ontology.schema import TermTables, typed_concepts

ENTITIES = "cmekg_entities.tsv.gz"
NAMES = "cmekg_names.tsv.gz"
CODES = "cmekg_icd10.tsv"
FOLDER = "a CMeKG folder"
TYPES = ("disease_or_symptom", "drug", "exam_or_procedure")
ALIASES = {
    "别称": "exact",
    "又称": "exact",
    "同义词": "exact",
    "通用名": "exact",
    "商品名": "related",
}
# An alias shares two characters with its subject (冠心病, 甲亢); one that shares fewer is
# CMeKG's noise (结肠 for 放射性肠炎, 上感 for 小儿感冒). A brand name need not (吗丁啉).
PRODUCT_NAMES = ("通用名", "商品名")
ENGLISH = ("英文名", "英文名称", "英文别名")
# dosage forms a product name ends with, longest first
ZH_FORMS = sorted(
    """肠溶片 肠溶胶囊 缓释片 缓释胶囊 控释片 分散片 咀嚼片 泡腾片 含片 口崩片 薄膜衣片 片
胶囊 软胶囊 注射液 注射剂 输液 颗粒 干混悬剂 混悬液 口服液 口服溶液 溶液 糖浆 滴眼液 眼膏 滴耳液 滴鼻液
乳膏 软膏 凝胶 喷雾剂 气雾剂 贴剂 贴 栓 丸 散 酊 搽剂 洗剂 合剂 粉 粉针剂""".split(),
    key=len,
    reverse=True,
)
EN_FORMS = re.compile(
    r"\b(?:for|injection|injections|tablets?|capsules?|soft|hard|enteric|coated|film|sustained|"
    r"extended|controlled|release|dispersible|chewable|effervescent|granules?|oral|solution|"
    r"suspension|syrup|drops?|eye|ear|nasal|ointment|cream|gel|spray|aerosol|patch(?:es)?|"
    r"suppositor(?:y|ies)|powder|lyophilized|sterile|compound|and|sodium chloride)\b",
    re.I,
)
# an ICD-10 code, not an ICD-O morphology code ("M80500/0")
ICD = re.compile(r"(?<![A-Za-z0-9])[A-Z]\d{2}(?:\.[0-9A-Za-z]{1,4})?(?!\d)")
HAN = re.compile(r"[\u4e00-\u9fff]")
SALT = re.compile(
    r"^(?:盐酸|硫酸|磷酸|马来酸|甲磺酸|枸橼酸|富马酸|酒石酸|琥珀酸|醋酸|苯磺酸|氢溴酸)|"
    r"(?:钠|钾|钙)$"
)


def _ingredients(product: str) -> list[str]:
    """The ingredient a product's name gives: its name without the dosage form and a leading
    注射用 ("注射用头孢曲松钠" -> 头孢曲松钠), and that without its salt (盐酸二甲双胍 -> 二甲双胍,
    华法林钠 -> 华法林); none when it names no form."""
    name = product.removeprefix("注射用")
    for form in ZH_FORMS:
        if name.endswith(form) and len(name) > len(form) + 1:
            name = name[: -len(form)]
            break
    if name == product or len(name) < 2:
        return []
    bare = SALT.sub("", name)
    return [name] if bare == name or len(bare) < 2 else [name, bare]


def _english_base(name: str) -> str | None:
    """An English product name without its dosage form words ("Domperidone Tablets")."""
    base = " ".join(EN_FORMS.sub(" ", name.replace("—", " ").replace("-", " ")).split())
    return base if base and base.lower() != name.lower() else None


def load(path: str | Path) -> TermTables:
    folder = Path(path)
    if not folder.is_dir():
        raise SourceError(folder, None, "cmekg: expects the folder holding cmekg_*.tsv files")
    entities = read_folder_table(folder, ENTITIES, ["subject", "type_guess"], FOLDER).filter(
        pl.col("type_guess").is_in(TYPES)
    )
    names = read_folder_table(folder, NAMES, ["subject", "relation", "name"], FOLDER)
    codes = read_folder_table(folder, CODES, ["subject", "icd10_raw"], FOLDER)
    kept = set(entities["subject"])
    code_of: dict[str, list[str]] = {}
    for subject, raw in codes.iter_rows():
        found = ICD.findall(raw or "")
        if subject in kept and found:  # a range or a list: its first code
            code_of.setdefault(subject, []).extend(
                f"{v}:{found[0]}" for v in ("ICD10BJ", "ICD10CM")
            )
    english: dict[str, list[str]] = {}
    terms: dict[str, list[tuple[str, str]]] = {}
    for subject, relation, name in names.iter_rows():
        name = (name or "").strip()
        if subject not in kept or not name:
            continue
        if relation in ENGLISH:
            english.setdefault(subject, []).append(name)
            if (base := _english_base(name)) is not None:
                english[subject].append(base)
        elif (
            relation in ALIASES
            and HAN.search(name)
            and len(name) <= 30
            and (relation in PRODUCT_NAMES or len(set(HAN.findall(name)) & set(subject)) >= 2)
        ):
            terms.setdefault(subject, []).append((name, ALIASES[relation]))
    kind_of = dict(entities.select("subject", "type_guess").iter_rows())
    rows = []
    concepts = []
    for subject in entities["subject"]:
        own = f"CMEKG:{subject}"
        concepts.append((own, subject, kind_of[subject]))
        evidence_codes = code_of.get(subject, [])
        evidence_names = [subject, *english.get(subject, [])]
        rows.append((own, subject, "exact", evidence_codes, evidence_names))
        for term, kind in terms.get(subject, []):
            rows.append((own, term, kind, evidence_codes, [term, *evidence_names]))
        if kind_of[subject] == "drug":
            # the ingredient is a concept of its own: the product's English base names it
            bases = [b for b in map(_english_base, english.get(subject, [])) if b]
            for base in _ingredients(subject):
                rows.append((f"CMEKG:{base}", base, "exact", [], [*bases, base]))
                concepts.append((f"CMEKG:{base}", base, "drug"))
    if not rows:
        raise SourceError(folder, None, "cmekg: no entity of a kept type")
    attachments = pl.DataFrame(
        rows, schema=["own_id", "term", "kind", "codes", "names"], orient="row"
    ).with_columns(lang=pl.lit("zh"), source=pl.lit("cmekg"))
    concept_table = typed_concepts(concepts, "CMEKG", "zh")
    return TermTables(
        concepts=concept_table,
        attachments=attachments,
        versions={"cmekg": "PyCMeKG 0.2.5"},
        fallback_concepts=True,
    )
