"""Approved pairs that last: `termnorm ontology learn` on a copy of the full terminology, then a
fresh `Normalizer.load`; majority votes, and no override of a terminology synonym on one vote."""

from __future__ import annotations

import shutil
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import orjson
import pytest
from conftest import SHARED
from typer.testing import CliRunner

from ontology import store
from termnorm import learned
from termnorm.cli import app
from termnorm.evaluate import read_pairs
from termnorm.normalizer import Normalizer
from termnorm.text import fold

runner = CliRunner()
NCBI_TRAIN = SHARED / "eval" / "ncbi-disease" / "NCBItrainset_corpus.txt"


@pytest.fixture()
def folder(full_terminology, tmp_path):
    out = tmp_path / "terminology"
    out.mkdir()
    for name in (*store.TABLE_FILES, "manifest"):
        src = full_terminology / (store.MANIFEST if name == "manifest" else f"{name}.parquet")
        shutil.copy(src, out / src.name)
    return out


@pytest.mark.slow
def test_learn_from_a_task_file_then_load_afresh(folder):
    before = Normalizer.load(folder)
    pairs = read_pairs(NCBI_TRAIN, "ncbi")
    by_mention: dict[str, set[str]] = {}
    for m, c in pairs:
        by_mention.setdefault(fold(m).text, set()).add(c)
    # mentions the terminology lacks, every pair agreeing: learned, they map to their concept
    new = sorted(
        m for m, ids in by_mention.items() if len(ids) == 1 and before._engine.lookup(m) is None
    )[:40]
    assert len(new) >= 20
    r = runner.invoke(
        app, ["ontology", "learn", str(folder), str(NCBI_TRAIN), "--task", "ncbi", "--json"]
    )
    assert r.exit_code == 0, r.stderr
    entry = orjson.loads(r.stdout)
    assert entry["read"] == len(pairs) and entry["mentions"] > 1000
    assert store.manifest(folder)["learned"]["sources"] == [f"ncbi:{NCBI_TRAIN.name}"]
    after = Normalizer.load(folder)
    got = {m: (after.map(m, k=1) or [None])[0] for m in new}
    wrong = {
        m: c
        for m, c in got.items()
        if c is None or c.method != "learned" or c.concept_id not in by_mention[m]
    }
    assert not wrong, wrong


@pytest.mark.slow
def test_majority_and_no_override_on_one_vote(folder, tmp_path):
    own = Normalizer.load(folder).map("hemochromatosis", k=1)[0].concept_id
    lymphoma = "MESH:D016399"
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text(
        "mention\tconcept_id\nhemochromatosis\tMESH:D016399\n"
        "zorbic fever\tMESH:D005334\nzorbic fever\tMESH:D005334\n"
        "Zorbic  Fever\tMESH:D007239\n",
        encoding="utf-8",
    )
    assert runner.invoke(app, ["ontology", "learn", str(folder), str(tsv)]).exit_code == 0
    nz = Normalizer.load(folder)
    assert nz.map("hemochromatosis", k=1)[0].concept_id == own != lymphoma
    assert nz.map("zorbic fever", k=1)[0].concept_id == "MESH:D005334"  # 2 votes to 1
    # votes add up across runs: three of four now say lymphoma, which moves the term
    tsv.write_text(
        "hemochromatosis\tMESH:D016399\nhemochromatosis\tMESH:D016399\n", encoding="utf-8"
    )
    assert runner.invoke(app, ["ontology", "learn", str(folder), str(tsv)]).exit_code == 0
    assert learned.read(folder).filter(learned.pl.col("norm_term") == "hemochromatosis")[
        "concept_id"
    ].to_list() == [lymphoma]
    assert Normalizer.load(folder).map("hemochromatosis", k=1)[0].concept_id == lymphoma


@pytest.mark.slow
def test_python_learn_save_and_a_bad_file(folder, tmp_path):
    nz = Normalizer.load(folder)
    assert nz.learn([("quorble syndrome", "MESH:D003920")], save=True) == 1
    assert Normalizer.load(folder).map("quorble syndrome", k=1)[0].concept_id == "MESH:D003920"
    bad = tmp_path / "bad.tsv"
    bad.write_text("fine\tMESH:D003920\nno concept here\n", encoding="utf-8")
    r = runner.invoke(app, ["ontology", "learn", str(folder), str(bad)])
    assert r.exit_code != 0
    assert f"{bad}:2" in r.stderr and "concept ID" in r.stderr


def _save_one(folder: str) -> dict:
    return learned.save(folder, [("zorbic fever", "MESH:D005334")], "one")


@pytest.mark.slow
def test_concurrent_saves_keep_every_vote(folder):
    with ProcessPoolExecutor(4, mp_context=get_context("spawn")) as pool:
        list(pool.map(_save_one, [str(folder)] * 8))
    man = store.manifest(folder)["learned"]
    assert man["votes"] == 8 and len(man["sources"]) == 8
    assert learned.raw_votes(folder)["votes"].to_list() == [8]
    files = {p.name for p in folder.glob("learned*.parquet")}
    assert man["file"] in files and len(files) == 2  # and the one it replaced


def test_learned_pairs_pass_the_lexicon_guards(folder, tmp_path):
    """A short or general-English mention a user approved is theirs: neither the length filter
    nor the general-English guard drops it."""
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text(
        "qz\tMESH:D003920\nthinking\tMESH:D001523\nthinking\tMESH:D001523\n"
        "thinking\tMESH:D001523\n",
        encoding="utf-8",
    )
    assert Normalizer.load(folder).normalize("thinking about qz").mentions == []
    assert runner.invoke(app, ["ontology", "learn", str(folder), str(tsv)]).exit_code == 0
    got = {
        m.surface: m.concept_id
        for m in Normalizer.load(folder).normalize("thinking about qz").mentions
    }
    assert got == {"qz": "MESH:D003920", "thinking": "MESH:D001523"}


def test_a_reader_of_the_manifest_before_a_save_still_finds_its_table(folder):
    learned.save(folder, [("zorbic fever", "MESH:D005334")], "one")
    before = store.manifest(folder)["learned"]["file"]
    learned.save(folder, [("zorbic fever", "MESH:D005334")], "two")
    assert (folder / before).exists()  # the table just replaced stays for such a reader
    learned.save(folder, [("zorbic fever", "MESH:D005334")], "three")
    assert not (folder / before).exists()
    assert learned.raw_votes(folder)["votes"].to_list() == [3]
