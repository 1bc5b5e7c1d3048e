"""The termnorm CLI on the sample terminology: help everywhere, JSON for machines."""

from __future__ import annotations

import orjson
import pytest
from conftest import SAMPLE_SOURCES
from typer.testing import CliRunner

from termnorm.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    "args", [[], ["ontology"], ["ontology", "build"], ["ontology", "info"], ["ontology", "query"]]
)
def test_help_at_every_level(args):
    r = runner.invoke(app, [*args, "--help"])
    assert r.exit_code == 0 and "Usage" in r.stdout


def test_build_info_query_json(tmp_path):
    out = tmp_path / "t"
    r = runner.invoke(app, ["ontology", "build", str(out), *SAMPLE_SOURCES, "--json"])
    assert r.exit_code == 0, r.stderr
    built = orjson.loads(r.stdout)
    assert built["concepts"] > 500 and built["concepts_by_vocab"]["HP"] > 50

    info = orjson.loads(runner.invoke(app, ["ontology", "info", str(out), "--json"]).stdout)
    assert info["concepts"] == built["concepts"]
    kinds = {(r["vocab"], r["lang"], r["kind"]) for r in info["synonyms"]}
    assert ("HP", "zh", "preferred") in kinds and ("HP", "en", "abbreviation") in kinds

    r = runner.invoke(app, ["ontology", "query", str(out), "ancestors", "ICD10CM:E11.9", "--json"])
    anc = {x["concept_id"] for x in orjson.loads(r.stdout)["results"]}
    assert anc == {"ICD10CM:E11", "ICD10CM:E08-E13", "ICD10CM:E00-E89"}

    r = runner.invoke(app, ["ontology", "query", str(out), "search", "Ⅱ型糖尿病", "--json"])
    ids = [x["concept_id"] for x in orjson.loads(r.stdout)["results"]]
    assert "ICD10CM:E11.9" in ids

    r = runner.invoke(
        app, ["ontology", "query", str(out), "descendants", "HP:0000118", "--vocab", "HP", "--json"]
    )
    assert orjson.loads(r.stdout)["count"] > 20

    r = runner.invoke(app, ["ontology", "query", str(out), "xref", "HP:0000822"])
    assert r.exit_code == 1 and "--vocab" in r.stderr
    r = runner.invoke(app, ["ontology", "query", str(out), "ancestors", "HP:NOPE"])
    assert r.exit_code == 1 and "HP:NOPE is not in the concept graph" in r.stderr

    r = runner.invoke(app, ["ontology", "info", str(out)])
    assert r.exit_code == 0 and "vocab" in r.stdout and "is_a" in r.stdout


def test_version_prints_the_version():
    import subprocess
    import sys

    from termnorm import __version__

    done = subprocess.run(
        [sys.executable, "-m", "termnorm.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == __version__


def test_errors_keep_brackets():
    r = runner.invoke(
        app,
        [
            "corpus",
            "run",
            "--input",
            "/nonexistent/[phi]*.jsonl",
            "--out",
            "/tmp/termnorm-never",
            "--ontology",
            "/nonexistent",
        ],
    )
    assert r.exit_code == 1
    assert "[phi]" in r.stderr


@pytest.mark.parametrize(
    "command",
    [["tokenizer", "train"], ["tokenizer", "extend"], ["tokenizer", "report"], ["model", "eval"]],
)
def test_a_terminology_folder_is_ontology_in_every_command(command):
    r = runner.invoke(app, [*command, "--help"])
    assert r.exit_code == 0 and "--ontology" in r.stdout
    assert "--terms" not in r.stdout  # the old name works, unlisted


def test_the_old_option_name_still_reaches_the_command(tmp_path):
    # `--terms` is read as `--ontology`: a folder that is not a terminology is named as such
    r = runner.invoke(
        app,
        [
            "tokenizer",
            "extend",
            "--tokenizer",
            str(tmp_path),
            "--out",
            str(tmp_path / "o"),
            "--terms",
            str(tmp_path),
            "--text",
            str(tmp_path / "none.txt"),
        ],
    )
    assert r.exit_code == 1 and "--ontology DIR" not in r.stderr, r.stderr
    r = runner.invoke(
        app, ["tokenizer", "extend", "--tokenizer", str(tmp_path), "--out", str(tmp_path / "o")]
    )
    assert r.exit_code == 1 and "--ontology DIR" in r.stderr
