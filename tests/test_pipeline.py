"""The pipeline's stages over whole batches: a batch's results are each document's alone,
whatever the copies, merges and rejects in it; the docs schema is the one declared."""

from __future__ import annotations

import gzip

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import SHARED, need_shared

from corpus import pipeline, schema
from corpus.config import RunConfig
from corpus.readers import Fields, read
from corpus.runner import run

NOTES = SHARED / "corpora" / "mtsamples" / "mtsamples.jsonl.gz"


@pytest.fixture(scope="module")
def notes_file(tmp_path_factory):
    """Real MTSamples notes with what makes batch bookkeeping go wrong: exact copies, copies
    that only the clean stage makes equal (other line breaks, mojibake), notes the quality rules
    reject between kept ones, and metadata with an identifying field."""
    need_shared()
    with gzip.open(NOTES) as f:
        notes = [
            t
            for t in (
                orjson.loads(line)["transcription"] for _, line in zip(range(160), f, strict=False)
            )
            if t and t.strip()
        ][:120]
    texts = list(notes)
    texts += notes[5:25]  # exact copies
    texts += [t.replace("\n", "\r\n\r\n").replace("é", "Ã©") + "  " for t in notes[30:45]]
    # copies only de-identification makes equal, and a note with identifiers to count
    texts += [
        notes[50] + " Seen by Dr. John Smith.",
        notes[50] + " Seen by Dr. Peter Brown.",
        notes[51] + " Call 555-201-3344 or 555-201-9876 after 5 pm.",
    ]
    texts[10:10] = ["ok", "1234 5678 9012 3456 7890", notes[0][:15]]  # rejected
    rows = [
        {
            "id": f"n{i}",
            "transcription": t,
            "patient_name": f"Pat {i % 7}",
            "medical_specialty": "Cardiology" if i % 3 else None,
        }
        for i, t in enumerate(texts)
    ]
    path = tmp_path_factory.mktemp("notes") / "notes.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def _config(ontology, **stages) -> RunConfig:
    return RunConfig.from_dict(
        {
            "inputs": ["x"],
            "out": "y",
            "ontology": str(ontology),
            "fields": {"text": "transcription", "id": "id"},
            "stages": stages,
            "boilerplate": {"enabled": False},
        }
    )


def _outputs(batches):
    docs, ments, sigs, rejects = [], [], [], []
    for b in batches:
        docs.append(b.docs(schema.docs(STAGES)))
        ments.append(b.outputs["mentions"].cast(schema.MENTIONS))
        sigs.append(b.outputs["signatures"])
        rejects += [(r.line, r.reason) for r in b.rejects]
    return (
        pa.concat_tables(docs),
        pa.concat_tables(ments),
        pa.concat_tables(sigs),
        sorted(rejects),
    )


STAGES: list = []


def test_a_batch_gives_each_document_what_it_gives_alone(notes_file, sample_terminology):
    cfg = _config(sample_terminology)
    STAGES[:] = pipeline.stages(cfg)
    ((records, bad),) = read(notes_file, Fields(text="transcription", id="id"))
    assert not bad
    together = _outputs([pipeline.run(records, STAGES)])
    alone = _outputs([pipeline.run(records.slice(i, 1), STAGES) for i in range(records.num_rows)])
    docs, ments, sigs, rejects = together
    assert rejects == alone[3]
    assert {11, 12, 13} <= {line for line, _ in rejects}  # the planted ones, lines 11-13
    assert docs.num_rows == records.num_rows - len(rejects)
    assert docs.equals(alone[0])
    assert ments.equals(alone[1]) and ments.num_rows > 100
    assert sigs.equals(alone[2])
    # each distinct text went through the stages once: the copies, and those clean made equal
    batch = pipeline.run(records, STAGES)
    assert len(batch.texts) == len(set(docs.column("text").to_pylist()))
    assert len(batch) - len(batch.texts) > 25  # 20 exact copies, 15 made by clean
    phones = docs.filter(pa.compute.match_substring(docs.column("text"), "Call [PHONE]"))
    assert phones.num_rows == 1 and phones.column("phi")[0].as_py()["PHONE"] == 2
    assert "patient_name" not in docs.column("meta")[0].as_py()


def test_the_docs_schema_is_the_declared_one(notes_file, sample_terminology, tmp_path):
    for stages in ({}, {"phi": False, "tag": False}, {"mentions": False, "quality": False}):
        cfg = _config(sample_terminology, **stages).with_values(
            {"inputs": [str(notes_file)], "out": str(tmp_path / str(len(stages)))}
        )
        run(cfg)
        written = pq.read_schema(next((tmp_path / str(len(stages)) / "docs").glob("*.parquet")))
        declared = schema.docs(pipeline.stages(cfg))
        assert written.remove_metadata() == declared
        assert ("phi" in declared.names) == stages.get("phi", True)
        assert ("specialty" in declared.names) == stages.get("tag", True)
        assert [f.name for f in declared] == [
            f.name for f in schema.DOCS if f.name in declared.names
        ]


def test_a_corpus_run_takes_the_users_context_rules(sample_terminology, tmp_path):
    """`[mentions] context_rules` (or `--context-rules`) reaches the mentions stage, and an
    edited rules file redoes the shards."""
    from typer.testing import CliRunner

    from corpus import catalog
    from termnorm.cli import app

    notes = tmp_path / "notes.jsonl"
    note = "Pneumonia is out of the question. Patient seen in clinic today for a check."
    notes.write_text(orjson.dumps({"id": "n1", "text": note}).decode() + "\n", encoding="utf-8")
    rules = tmp_path / "mine.json"
    rules.write_text(
        '{"context_rules": [{"literal": "is out of the question", "category": '
        '"NEGATED_EXISTENCE", "direction": "BACKWARD"}]}',
        encoding="utf-8",
    )

    def negated(out, *extra):
        args = ["corpus", "run", "--input", str(notes), "--out", str(out), "--id-field", "id"]
        r = CliRunner().invoke(
            app, [*args, "--ontology", str(sample_terminology), "--json", *extra]
        )
        assert r.exit_code == 0, r.stderr
        sql = "SELECT m.negated FROM mentions m JOIN concepts c USING (concept_id) "
        sql += "WHERE c.name = 'Pneumonia'"
        return catalog.query(out, sql).column("negated").to_pylist()

    assert negated(tmp_path / "plain") == [False]
    assert negated(tmp_path / "mine", "--context-rules", str(rules)) == [True]
    rules.write_text('{"context_rules": []}', encoding="utf-8")
    assert negated(tmp_path / "mine", "--context-rules", str(rules)) == [False]
    r = CliRunner().invoke(
        app,
        [
            "corpus",
            "run",
            "--input",
            str(notes),
            "--out",
            str(tmp_path / "x"),
            "--ontology",
            str(sample_terminology),
            "--context-rules",
            str(tmp_path / "none.json"),
        ],
    )
    assert r.exit_code == 1 and "none.json: no such context rules file" in r.stderr
