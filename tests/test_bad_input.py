"""Bad input: a clear error naming file and line, non-zero exit, nothing half-written."""

from __future__ import annotations

import gzip

import pytest
from conftest import SAMPLE_SOURCES
from typer.testing import CliRunner

from ontology import Source, SourceError, build
from ontology.loaders import adam, codelist, obo, synonym_table
from termnorm.cli import app

GOOD_OBO = """format-version: 1.2

[Term]
id: HP:0000001
name: All

[Term]
id: HP:0000118
name: Phenotypic abnormality
is_a: HP:0000001 ! All
synonym: "Organ abnormality" RELATED []
"""


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_good_obo_loads(tmp_path):
    t = obo.load(write(tmp_path / "ok.obo", GOOD_OBO))
    assert t.concepts.height == 2 and t.relations.height == 1


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("synonym: Organ abnormality RELATED []", "malformed synonym"),
        ('synonym: "Organ abnormality" SOMETIMES []', "malformed synonym"),
        ("this line has no tag", "expected 'tag: value'"),
        ("is_a: nothing-here", "is not a CURIE"),
    ],
)
def test_malformed_obo_line_names_file_and_line(tmp_path, bad_line, message):
    text = GOOD_OBO.replace('synonym: "Organ abnormality" RELATED []', bad_line)
    path = write(tmp_path / "bad.obo", text)
    with pytest.raises(SourceError, match=message) as e:
        obo.load(path)
    assert e.value.path == str(path)
    assert e.value.line == text.splitlines().index(bad_line) + 1
    assert str(e.value).startswith(f"{path}:{e.value.line}: ")


def test_obo_stanza_without_id_or_name(tmp_path):
    with pytest.raises(SourceError, match="has no name") as e:
        obo.load(write(tmp_path / "x.obo", "[Term]\nid: HP:1\n\n[Term]\nid: HP:2\nname: B\n"))
    assert e.value.line == 1
    with pytest.raises(SourceError, match="before the stanza's id"):
        obo.load(write(tmp_path / "y.obo", "[Term]\nname: A\nid: HP:1\n"))


def test_tsv_missing_column(tmp_path):
    path = write(tmp_path / "local.tsv", "concept_id\tlabel\nHP:0000822\tHTN\n")
    with pytest.raises(SourceError, match="missing column.*term") as e:
        synonym_table.load(path)
    assert e.value.line == 1


def test_tsv_ragged_row_and_bad_kind(tmp_path):
    path = write(tmp_path / "local.tsv", "concept_id\tterm\nHP:1\tA\nHP:2\tB\textra\n")
    with pytest.raises(SourceError, match="expected 2 cells") as e:
        synonym_table.load(path)
    assert e.value.line == 3
    path = write(tmp_path / "kind.tsv", "concept_id\tterm\tkind\nHP:1\tA\tfavourite\n")
    with pytest.raises(SourceError, match="unknown kind 'favourite'") as e:
        synonym_table.load(path)
    assert e.value.line == 2


def test_wrong_encoding_names_the_line(tmp_path):
    path = tmp_path / "codes.tsv"
    path.write_bytes(b"A00\tcholera\n" + "A01\tfièvre typhoïde\n".encode("latin-1"))
    with pytest.raises(SourceError, match="not valid UTF-8") as e:
        codelist.load(path, vocab="ICD10BJ")
    assert e.value.line == 2
    gz = tmp_path / "adam.tsv.gz"
    gz.write_bytes(gzip.compress(b"# header\n" + "\xe9".encode("latin-1")))
    with pytest.raises(SourceError, match="not valid UTF-8") as e:
        adam.load(gz)
    assert e.value.line == 2


def test_missing_path(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        obo.load(tmp_path / "nope.obo")


def test_failed_build_leaves_previous_build_untouched(tmp_path):
    out = tmp_path / "term"
    build(out, [Source.parse(s) for s in SAMPLE_SOURCES])
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = write(tmp_path / "bad.obo", "[Term]\nid: HP:1\nname A\n")
    with pytest.raises(SourceError):
        build(out, [Source.parse(SAMPLE_SOURCES[0]), Source.parse(f"obo:{bad}")])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "no temp left"


def test_build_refuses_to_replace_a_foreign_folder(tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(SourceError, match="not a terminology folder"):
        build(out, [Source.parse(SAMPLE_SOURCES[0])])
    assert (out / "notes.txt").read_text() == "keep me"


def test_cli_errors_are_one_line_and_non_zero(tmp_path):
    runner = CliRunner()
    bad = write(tmp_path / "bad.obo", "[Term]\nid: HP:1\nname: A\nsynonym: broken\n")
    out = tmp_path / "out"
    r = runner.invoke(app, ["ontology", "build", str(out), f"obo:{bad}"])
    assert r.exit_code == 1
    assert f"{bad}:4: malformed synonym" in r.stderr
    assert not out.exists()
    r = runner.invoke(app, ["ontology", "build", str(out), "cobol:x"])
    assert r.exit_code == 1 and "known formats: mesh, obo, doid" in r.stderr
    r = runner.invoke(app, ["ontology", "build", str(out), f"obo:{tmp_path}/missing.obo"])
    assert r.exit_code == 1 and "no such file" in r.stderr
    r = runner.invoke(app, ["ontology", "info", str(tmp_path)])
    assert r.exit_code == 1 and "not a built terminology" in r.stderr
