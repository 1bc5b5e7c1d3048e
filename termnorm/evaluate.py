"""Evaluation on the normalization tasks (gold spans given).

- ncbi, bc5cdr: PubTator files; accuracy@1 over gold mentions. A prediction counts when its
  concept ID is among the gold IDs after mapping it through xrefs to the gold vocabulary
  (a DOID prediction for an OMIM gold ID, say), or, for a concept without any counterpart
  there, through its nearest ancestors' xrefs (`ConceptGraph.xref_or_broader`). `-1` gold IDs
  (unmappable) are not scored.
- chip-cdn (JSON: text, normalized_result) and chip-procedures (TSV: 原始词, 标准词): micro-F1
  over the set of standard names per item (names joined by `##`).
`--learn` files of the same task: for ncbi and bc5cdr they become `learned` synonyms before
scoring; for the chip tasks they train a `termnorm.ranker.SetRanker` (candidates from similar
examples, similar vocabulary names and the dictionary, scored by a learned classifier).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import polars as pl

from ontology import store
from ontology.errors import SourceError
from ontology.graph import ConceptGraph
from ontology.io import read_bytes, read_lines
from termnorm.normalizer import Normalizer
from termnorm.ranker import SetRanker
from termnorm_utils.errors import InputError

TASKS = ("ncbi", "bc5cdr", "chip-cdn", "chip-procedures")
# Vocabularies mapped to, in preference order: DOID stays for its OMIM cross-references.
TARGET_VOCABS = {
    "ncbi": ["MESH", "DOID"],
    "bc5cdr": ["MESH", "DOID"],
    "chip-cdn": ["ICD10BJ"],
    "chip-procedures": ["ICD9CM3BJ"],
}


@dataclass(frozen=True)
class Gold:
    mention: str
    ids: tuple[str, ...]  # concept IDs (span tasks) or standard names (chip tasks)
    context: str | None = None  # the document (title + abstract) for span tasks


def _gold_id(raw: str) -> str:
    raw = raw.strip()
    if raw.startswith(("OMIM:", "MESH:")):
        return raw
    return f"MESH:{raw}"


def read_pubtator(path: str | Path) -> Iterator[Gold]:
    docs: dict[str, str] = {}
    for no, line in read_lines(path):
        head = line.split("|", 2)
        if len(head) == 3 and head[1] in ("t", "a") and head[0].isdigit():
            docs[head[0]] = (docs.get(head[0], "") + " " + head[2]).strip()
            continue
        cells = line.split("\t")
        if len(cells) < 6:
            continue  # relation lines, blanks
        if not cells[1].isdigit() or not cells[2].isdigit():
            raise SourceError(path, no, "annotation line without numeric offsets")
        raw = cells[5].strip()
        if raw in ("-1", ""):
            continue
        ids = tuple(_gold_id(x) for x in raw.replace("+", "|").split("|") if x.strip())
        if not ids:
            raise SourceError(path, no, f"no concept ID in the gold cell {raw!r}")
        yield Gold(cells[3], ids, docs.get(cells[0]))


def read_chip(path: str | Path, task: str) -> Iterator[Gold]:
    if task == "chip-cdn":
        try:
            items = orjson.loads(read_bytes(path))
        except orjson.JSONDecodeError as e:
            raise SourceError(path, None, f"not a JSON list: {e}") from None
        for it in items:
            yield Gold(it["text"], tuple(n for n in it["normalized_result"].split("##") if n))
        return
    for no, line in read_lines(path):
        if not line.strip() or (no == 1 and line.startswith("原始词")):
            continue
        cells = line.split("\t") if "\t" in line else line.split(",", 1)
        if len(cells) != 2:
            raise SourceError(path, no, "expected two cells: 原始词, 标准词")
        yield Gold(cells[0], tuple(n for n in cells[1].split("##") if n))


def read_task(path: str | Path, task: str) -> list[Gold]:
    if task not in TASKS:
        raise InputError(f"unknown task {task!r}; known: {', '.join(TASKS)}")
    if task in ("ncbi", "bc5cdr"):
        return list(read_pubtator(path))
    return list(read_chip(path, task))


def read_pairs(
    path: str | Path, task: str = "tsv", ontology: str | Path | None = None
) -> list[tuple[str, str]]:
    """Approved (mention, concept ID) pairs from a TSV (mention, concept ID; a header line
    starting `mention` is skipped) or a task file: ncbi / bc5cdr gold mentions (the gold
    IDs' first: a composite "A and B cancer" votes once, for A), chip tasks' standard names
    as concept IDs of their vocabulary (needs `ontology`)."""
    if task == "tsv":
        out = []
        for no, line in read_lines(path):
            if (
                not line.strip()
                or line.startswith("#")
                or (no == 1 and line.startswith("mention\t"))
            ):
                continue
            cells = line.split("\t")
            if len(cells) < 2 or not cells[0].strip() or ":" not in cells[1]:
                raise SourceError(path, no, "expected: mention<TAB>concept ID (VOCAB:code)")
            out.append((cells[0].strip(), cells[1].strip()))
        return out
    gold = read_task(path, task)
    if task in ("ncbi", "bc5cdr"):
        return [(g.mention, g.ids[0]) for g in gold]
    if ontology is None:
        raise InputError(f"{task} pairs name standard names: the terminology is needed")
    names = (
        store.scan(ontology, "concepts")
        .filter(pl.col("vocab") == TARGET_VOCABS[task][0])
        .select("name", "concept_id")
        .collect()
    )
    index = dict(names.iter_rows())
    unknown = sorted({n for g in gold for n in g.ids if n not in index})
    if unknown:
        warnings.warn(
            f"{path}: {len(unknown)} standard name(s) not in the terminology's "
            f"{TARGET_VOCABS[task][0]}, their pairs left out (first: {unknown[0]!r})",
            stacklevel=2,
        )
    return [(g.mention, index[n]) for g in gold for n in g.ids if n in index]


def _name_index(nz: Normalizer, vocab: str) -> dict[str, str]:
    """Standard name -> concept ID within one vocabulary (the chip tasks' gold are names)."""
    c = (
        store.scan(nz.folder, "concepts")
        .filter(pl.col("concept_id").str.starts_with(vocab + ":"))
        .select("name", "concept_id")
        .collect()
    )
    return dict(c.iter_rows())


def evaluate(
    ontology: str | Path, task: str, data: str | Path, learn: list[str | Path] = ()
) -> dict:
    gold = read_task(data, task)
    vocab = TARGET_VOCABS[task][0]
    nz = Normalizer.load(ontology, vocabs=TARGET_VOCABS[task])
    if task in ("ncbi", "bc5cdr"):
        pairs = [p for f in learn for p in read_pairs(f, task)]
        learned = nz.learn(pairs)
        return _span_accuracy(nz, ontology, task, gold) | {"learned_pairs": learned}
    examples = [(g.mention, g.ids) for f in learn for g in read_task(f, task)]
    texts = [g.mention for g in gold]
    if examples:
        # The examples train the ranker instead of becoming synonyms: a synonym learned from an
        # example would hand the ranker that example's answer while it learns.
        ranker = SetRanker(nz, list(_name_index(nz, vocab)), examples)
        preds = ranker.predict(texts)
    else:
        preds = [predict_names(nz, t) for t in texts]
    return _set_f1(task, gold, preds) | {"examples": len(examples)}


def _span_accuracy(nz: Normalizer, ontology, task: str, gold: list[Gold]) -> dict:
    graph = ConceptGraph.load(ontology, with_names=False)
    correct = mapped = 0
    for g in gold:
        cands = nz.map(g.mention, k=1, context=g.context)
        if not cands:
            continue
        mapped += 1
        pred = cands[0].concept_id
        want = set(g.ids)
        if pred in want:
            correct += 1
            continue
        for vocab in {i.split(":", 1)[0] for i in want}:
            if want & set(graph.xref_or_broader(pred, vocab)):
                correct += 1
                break
    n = len(gold)
    return {
        "task": task,
        "n": n,
        "accuracy": correct / n if n else 0.0,
        "coverage": mapped / n if n else 0.0,
    }


def predict_names(nz: Normalizer, text: str) -> set[str]:
    """Standard names for a set-valued task from the dictionary alone: the whole text's concept
    when it is a known term (or one typo away), else the terms found inside it."""
    cands = nz.map(text, k=1)
    if cands and cands[0].score >= 0.95:
        pred = {cands[0].name} if cands[0].name else set()
    else:
        pred = {m.name for m in nz.normalize(text).mentions if m.name}
    return pred


def _set_f1(task: str, gold: list[Gold], preds: list[set[str]]) -> dict:
    tp = fp = fn = 0
    for g, pred in zip(gold, preds, strict=True):
        want = set(g.ids)
        tp += len(pred & want)
        fp += len(pred - want)
        fn += len(want - pred)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"task": task, "n": len(gold), "f1": f1, "precision": p, "recall": r}
