"""Abbreviation senses learned from notes (reverse substitution), on MTSamples and the full
terminology: measured on notes not learned from, then kept in the folder by the CLI."""

from __future__ import annotations

import gzip
import shutil

import orjson
import pytest
from conftest import SHARED
from typer.testing import CliRunner

from ontology import store
from termnorm import sense_learning
from termnorm.cli import app
from termnorm.normalizer import Normalizer
from termnorm.senses import SenseInventory

MTSAMPLES = SHARED / "corpora" / "mtsamples" / "mtsamples.jsonl.gz"


@pytest.fixture(scope="module")
def notes():
    with gzip.open(MTSAMPLES) as f:
        texts = [orjson.loads(line)["transcription"] or "" for line in f]
    return list(dict.fromkeys(texts))  # the same note filed under several specialties: once


@pytest.mark.slow
def test_learned_context_beats_the_priors_on_unseen_notes(full_terminology, notes):
    learn_on = [n for i, n in enumerate(notes) if i % 5]
    unseen = [n for i, n in enumerate(notes) if i % 5 == 0]
    inv = SenseInventory.from_terminology(full_terminology)
    before = sense_learning.substitution_accuracy(inv, unseen)
    table = sense_learning.learn(inv.senses, learn_on)
    assert table["short"].n_unique() > 100
    learned = SenseInventory.__new__(SenseInventory)
    learned._use(inv.senses, table)
    after = sense_learning.substitution_accuracy(learned, unseen)
    assert before["occurrences"] == after["occurrences"] > 5000
    assert after["accuracy"] >= before["accuracy"] + 0.10, (before, after)
    assert after["macro"] >= before["macro"] + 0.05, (before, after)


def test_cli_keeps_the_learned_senses(full_terminology, tmp_path):
    folder = tmp_path / "terminology"
    folder.mkdir()
    for name in (*[f"{t}.parquet" for t in store.TABLE_FILES], store.MANIFEST):
        shutil.copy(full_terminology / name, folder / name)
    exam = "PE: HEENT: Normocephalic. Neck supple. Lungs clear. Heart regular. Pulse 80."
    names = {m.name for m in Normalizer.load(folder).normalize(exam).mentions if m.surface == "PE"}
    assert names == {"Pulmonary Embolism"}  # the discharge summaries' prior
    r = CliRunner().invoke(
        app,
        [
            "ontology",
            "learn",
            str(folder),
            str(MTSAMPLES),
            "--task",
            "notes",
            "--field",
            "transcription",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.stderr
    entry = orjson.loads(r.stdout)
    assert entry["notes"] > 4900 and entry["words"] > 1000  # 33 notes have no text
    assert store.manifest(folder)["learned_senses"]["sha256"] == entry["sha256"]
    names = {m.name for m in Normalizer.load(folder).normalize(exam).mentions if m.surface == "PE"}
    assert names == {"Physical Examination"}
    # a second corpus adds to the first: a few notes more do not undo what it learned
    few = tmp_path / "few.jsonl"
    with gzip.open(MTSAMPLES) as f:
        few.write_bytes(b"".join(line for _, line in zip(range(20), f, strict=False)))
    r = CliRunner().invoke(
        app,
        [
            "ontology",
            "learn",
            str(folder),
            str(few),
            "--task",
            "notes",
            "--field",
            "transcription",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.stderr
    second = orjson.loads(r.stdout)
    assert second["notes"] == entry["notes"] + 20
    assert second["sources"] == [MTSAMPLES.name, few.name]
    assert second["words"] >= entry["words"] * 0.9
    assert second["file"] != entry["file"] and (folder / second["file"]).exists()
    names = {m.name for m in Normalizer.load(folder).normalize(exam).mentions if m.surface == "PE"}
    assert names == {"Physical Examination"}
    bad = CliRunner().invoke(
        app,
        ["ontology", "learn", str(folder), str(MTSAMPLES), "--task", "notes", "--field", "nope"],
    )
    assert bad.exit_code != 0 and "no record has a text field 'nope'" in bad.stderr
