"""`termnorm corpus run` end to end on real MTSamples notes split into shards, with bad records,
exact and near copies planted; resume, determinism across workers, kill -9, the catalog."""

from __future__ import annotations

import gzip
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
from conftest import CORPUS_RUN, SHARED, need_shared

from corpus import catalog, schema
from corpus.config import Dedup, RunConfig
from corpus.readers import Fields
from corpus.runner import run
from termnorm_utils.errors import InputError

NOTES = SHARED / "corpora" / "mtsamples" / "mtsamples.jsonl.gz"
OUTPUTS = ("docs", "mentions", "signatures", "rejects", "concept_counts")


def _notes(n: int) -> list[dict]:
    need_shared()
    with gzip.open(NOTES) as f:
        rows = [orjson.loads(line) for _, line in zip(range(n), f, strict=False)]
    return [r for r in rows if (r.get("transcription") or "").strip()]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> tuple[Path, dict]:
    """Four shards of real notes (one gzipped) plus planted trouble; returns the folder and what
    was planted."""
    d = tmp_path_factory.mktemp("raw")
    notes = _notes(240)
    rng = random.Random(7)
    exact = notes[3]["transcription"]
    words = notes[10]["transcription"].split()
    near = " ".join(w if rng.random() > 0.01 else w.upper() + "x" for w in words)
    lines = [
        orjson.dumps(
            {"id": f"n{i}", "text": r["transcription"], "specialty": r.get("medical_specialty")}
        )
        for i, r in enumerate(notes)
    ]
    lines += [
        orjson.dumps({"id": "copy-exact", "text": exact.upper()}),
        orjson.dumps({"id": "copy-near", "text": near}),
    ]
    bad = [
        b'{"id": "broken", "text": "unterminated',
        b"\xff\xfe not utf-8 \xff",
        orjson.dumps({"id": "empty", "text": "   "}),
        orjson.dumps({"id": "num", "text": 42}),
        orjson.dumps({"id": "short", "text": "ok"}),
        orjson.dumps(["not", "an", "object"]),
    ]
    chunks = [lines[i::3] for i in range(3)]
    chunks[1] = chunks[1][:20] + bad + chunks[1][20:]
    for k, chunk in enumerate(chunks):
        data = b"\n".join(chunk) + b"\n"
        if k == 2:
            (d / f"part{k}.jsonl.gz").write_bytes(gzip.compress(data, mtime=0))
        else:
            (d / f"part{k}.jsonl").write_bytes(data)
    (d / "empty.jsonl").write_bytes(b"")
    return d, {"records": len(lines) + len(bad), "bad": len(bad)}


def _cfg(raw: Path, out: Path, ontology: Path, **kw) -> RunConfig:
    return RunConfig(
        inputs=(str(raw / "*.jsonl*"),),
        out=str(out),
        ontology=str(ontology),
        fields=Fields(id="id", text="text"),
        **kw,
    )


def _bytes(out: Path) -> dict[str, bytes]:
    files = sorted(p for kind in OUTPUTS for p in (out / kind).glob("*.parquet"))
    files.append(out / "duplicates.parquet")
    return {str(p.relative_to(out)): p.read_bytes() for p in files}


@pytest.fixture(scope="module")
def first_run(inputs, sample_terminology, tmp_path_factory):
    raw, planted = inputs
    out = tmp_path_factory.mktemp("out1")
    summary = run(_cfg(raw, out, sample_terminology))
    return out, summary, planted


def test_every_record_is_kept_duplicate_or_rejected(first_run):
    out, s, planted = first_run
    assert s.shards == 4 and s.skipped == 0
    assert s.records == planted["records"]
    kept = s.docs - s.duplicates
    assert kept + s.duplicates + s.rejects == s.records
    rejects = catalog.query(out, "SELECT source, line, reason FROM rejects ORDER BY line")
    planted_rows = [
        r for r in rejects.to_pylist() if r["source"].startswith("part1") and 21 <= r["line"] <= 26
    ]
    reasons = " | ".join(r["reason"] for r in planted_rows)
    assert len(planted_rows) == planted["bad"], reasons
    for why in (
        "bad JSON",
        "invalid UTF-8",
        "empty text",
        "not a string",
        "quality: n_chars",
        "must be an object",
    ):
        assert why in reasons, reasons
    # the rest are real notes the quality rules refuse ("CHIEF COMPLAINT:," and nothing else)
    others = [r for r in rejects.to_pylist() if r not in planted_rows]
    assert len(others) == s.rejects - planted["bad"] < 5
    assert all(r["reason"].startswith("quality: ") and r["line"] for r in others)


def test_planted_copies_point_at_their_originals(first_run):
    out, s, _ = first_run
    dups = {
        r["doc_id"].split("#")[1]: r["dup_of"].split("#")[1]
        for r in catalog.query(
            out, "SELECT doc_id, dup_of FROM docs WHERE dup_of IS NOT NULL"
        ).to_pylist()
    }
    assert dups.get("copy-exact") == "n3" and dups.get("copy-near") == "n10"
    assert s.duplicates == len(dups) >= 2


def test_docs_are_clean_deidentified_tagged_and_mentioned(first_run):
    out, s, _ = first_run
    docs = catalog.query(out, "SELECT * FROM docs ORDER BY doc_id").to_pylist()
    assert {d["lang"] for d in docs} == {"en"}
    assert all(len(d["raw_sha256"]) == 64 and d["n_chars"] >= 20 for d in docs)
    assert all("\r" not in d["text"] for d in docs)
    assert sum(d["phi_count"] for d in docs) > 0  # MTSamples notes carry dates and names
    m = catalog.query(
        out,
        """
        SELECT m.doc_id, m.surface, m.start, m."end", c.name, d.text
        FROM mentions m JOIN concepts c USING (concept_id) JOIN docs d USING (doc_id)
        LIMIT 200""",
    ).to_pylist()
    assert s.mentions > 100 and m
    assert all(r["text"][r["start"] : r["end"]] == r["surface"] for r in m)
    # the sidecar is written dictionary-encoded and reads back as its documented schema
    for f in (out / "mentions").glob("*.parquet"):
        assert pq.read_schema(f) == schema.MENTIONS
    # the shards' concept counts add up to the mentions, named as the terminology names them
    counted = catalog.query(
        out,
        """
        WITH k AS (SELECT concept_id, any_value(name) AS name, sum(mentions) AS n,
                          sum(affirmed) AS a FROM concept_counts GROUP BY 1),
             m AS (SELECT concept_id, count(*) AS n, count(*) FILTER (WHERE NOT negated) AS a
                   FROM mentions GROUP BY 1)
        SELECT count(*) AS concepts,
               count(*) FILTER (WHERE k.n IS DISTINCT FROM m.n OR k.a IS DISTINCT FROM m.a
                                OR k.name IS DISTINCT FROM coalesce(c.name, m.concept_id))
                 AS wrong
        FROM m FULL JOIN k USING (concept_id) LEFT JOIN concepts c USING (concept_id)
        """,
    ).to_pylist()[0]
    assert counted["concepts"] > 20 and counted["wrong"] == 0, counted


def test_rerun_skips_finished_shards_and_redoes_a_damaged_one(
    first_run, inputs, sample_terminology
):
    out, _, _ = first_run
    raw, _ = inputs
    before = _bytes(out)
    again = run(_cfg(raw, out, sample_terminology))
    assert again.skipped == 4 and _bytes(out) == before
    victim = next((out / "docs").glob("part1*.parquet"))
    victim.unlink()
    third = run(_cfg(raw, out, sample_terminology))
    assert third.skipped == 3 and _bytes(out) == before


def test_a_damaged_manifest_is_a_one_line_error(inputs, sample_terminology, tmp_path):
    raw, _ = inputs
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_bytes(b'{"format": 3, "shards": {')  # cut mid-write by hand
    with pytest.raises(InputError, match=r"manifest\.json: damaged run manifest"):
        run(_cfg(raw, out, sample_terminology))


def test_a_rebuilt_terminology_redoes_the_shards(inputs, sample_terminology, tmp_path):
    raw, _ = inputs
    term = tmp_path / "term"
    shutil.copytree(sample_terminology, term)
    out = tmp_path / "out"
    assert run(_cfg(raw, out, term)).skipped == 0
    assert run(_cfg(raw, out, term)).skipped == 4
    manifest = orjson.loads((term / "manifest.json").read_bytes())
    manifest["rebuilt"] = True  # what a rebuild with other sources changes
    (term / "manifest.json").write_bytes(orjson.dumps(manifest))
    assert run(_cfg(raw, out, term)).skipped == 0


def test_learned_pairs_reach_a_corpus_run(inputs, sample_terminology, tmp_path):
    """`termnorm ontology learn` into the terminology, then a run: its mentions carry the
    learned concept, and the shards done before the learning are done again."""
    from typer.testing import CliRunner

    from termnorm.cli import app

    raw, _ = inputs
    term = tmp_path / "term"
    shutil.copytree(sample_terminology, term)
    out = tmp_path / "out"
    run(_cfg(raw, out, term))
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("anesthesia\tHP:0001945\n" * 2, encoding="utf-8")  # a made-up reading
    assert CliRunner().invoke(app, ["ontology", "learn", str(term), str(pairs)]).exit_code == 0
    assert run(_cfg(raw, out, term)).skipped == 0
    got = catalog.query(
        out, "SELECT DISTINCT concept_id FROM mentions WHERE lower(surface) = 'anesthesia'"
    )
    assert got.column(0).to_pylist() == ["HP:0001945"]


def test_same_bytes_with_two_workers(first_run, inputs, sample_terminology, tmp_path):
    out, _, _ = first_run
    raw, _ = inputs
    run(_cfg(raw, tmp_path, sample_terminology, workers=2))
    assert _bytes(tmp_path) == _bytes(out)


@pytest.mark.slow
def test_kill_9_at_random_points_then_rerun(first_run, inputs, sample_terminology, tmp_path):
    """Ten runs into one folder, each killed with SIGKILL at a random moment and each resuming
    what the one before left, then one complete rerun: its outputs equal the uninterrupted
    run's, and no temporary file is left."""
    out, _, _ = first_run
    raw, _ = inputs
    want = _bytes(out)
    cmd = [
        *CORPUS_RUN,
        "--input",
        str(raw / "*.jsonl*"),
        "--out",
        str(tmp_path),
        "--ontology",
        str(sample_terminology),
        "--id-field",
        "id",
        "--json",
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    rng = random.Random(3)
    for _ in range(10):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = subprocess.run(cmd, env=env, capture_output=True, check=True)
    assert orjson.loads(done.stdout)["records"] > 0
    assert _bytes(tmp_path) == want
    assert not list(tmp_path.rglob(".*.tmp-*")), "a rerun clears what killed runs left"


def test_catalog_cannot_write_or_read_elsewhere(first_run):
    out, _, _ = first_run
    for sql in (
        f"COPY docs TO '{out}/x.csv'",
        "DROP VIEW docs",
        "CREATE TABLE t AS SELECT 1",
        "INSERT INTO catalog_info VALUES ('a', 'b')",
    ):
        with pytest.raises(PermissionError):
            catalog.query(out, sql)
    import duckdb

    with pytest.raises(duckdb.Error):
        catalog.query(out, "SELECT * FROM read_csv('/etc/passwd')")
    con = catalog.connect(out)
    with pytest.raises(duckdb.Error):
        con.execute("SET enable_external_access = true")
    # a second connection while the first is open shares its (locked) database instance
    other = catalog.connect(out)
    assert other.execute("SELECT count(*) FROM shards").fetchone()[0] >= 1
    with pytest.raises(duckdb.Error):
        other.execute("SELECT * FROM read_csv('/etc/passwd')")
    other.close()
    con.close()


def test_config_files(tmp_path):
    toml = tmp_path / "run.toml"
    toml.write_text(
        'inputs = ["a/*.jsonl"]\nout = "o"\nworkers = 3\n[fields]\ntext = "body"\n'
        "[quality]\nmin_chars = 5\n[stages]\nmentions = false\n"
    )
    cfg = RunConfig.load(toml).check()
    assert cfg.workers == 3 and cfg.fields.text == "body" and cfg.quality.min_chars == 5
    yaml = tmp_path / "run.yaml"
    yaml.write_text("inputs: a/*.jsonl\nout: o\nstages: {mentions: false}\n")
    assert RunConfig.load(yaml).with_flags(workers=2).workers == 2
    bad = tmp_path / "bad.toml"
    bad.write_text('out = "o"\nworkerz = 2\n')
    with pytest.raises(ValueError, match="workerz"):
        RunConfig.load(bad)
    with pytest.raises(ValueError, match="needs --ontology"):
        RunConfig(inputs=("x",), out="o").check()


def test_the_old_stage_name_and_its_hash_still_hold(tmp_path):
    # a 0.1 run resumed with unchanged options must redo nothing: its option names hash the same
    toml = tmp_path / "run.toml"
    toml.write_text('inputs = ["a.jsonl"]\nout = "o"\n[stages]\nnormalize = false\n')
    cfg = RunConfig.load(toml)
    assert cfg.stages.mentions is False
    assert cfg.with_values({"stages.normalize": True}).stages.mentions is True
    opts = RunConfig().shard_options()
    assert "mentions" not in opts and opts["stages"]["normalize"] is True
    ruled = RunConfig(mentions={"context_rules": ("r.json",)}).shard_options()
    assert ruled["mentions"] == {"context_rules": ["r.json"]}


def test_report_renders_in_a_headless_browser(first_run, tmp_path):
    """report.html opened by a real Chromium: every chart is drawn, with the run's numbers."""
    out, s, _ = first_run
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("CI without Chromium (make test installs it where it can)")
        pytest.skip("no Chromium here")
    page = (out / "report.html").as_uri()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", page],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert dom.count("<h2>") == 7 and dom.count("<svg") >= 6, dom[:2000]
    assert f"<td>records</td><td>{s.records:,}</td>" in dom
    for lang in ("en",):
        assert f"<title>{lang}: " in dom  # the languages chart holds the run's values
    shot = tmp_path / "report.png"
    subprocess.run(
        [browser, *flags, "--window-size=900,1600", f"--screenshot={shot}", page],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 20_000  # a drawn page, not a blank one


def test_report_says_which_charts_a_run_did_not_record(inputs, sample_terminology, tmp_path):
    """Stages turned off leave their charts "not recorded"; the others are drawn as usual."""
    from corpus.config import Stages

    raw, _ = inputs
    run(_cfg(raw, tmp_path, sample_terminology, stages=Stages(phi=False, tag=False)))
    page = (tmp_path / "report.html").read_text()
    sections = dict(part.split("</h2>", 1) for part in page.split("<h2>")[1:])
    off = {t for t, body in sections.items() if "not recorded in this run" in body}
    assert off == {"Document types", "Specialties (from concepts)", "PHI found, by type"}, off
    assert "<title>en: " in sections["Languages"]
    assert "<svg" in sections["Top concepts (affirmed mentions)"]


@pytest.mark.slow
def test_ray_engine_writes_the_same_bytes(first_run, inputs, sample_terminology, tmp_path):
    """Shards and, within a tiny memory budget, the grouping's buckets as Ray tasks."""
    pytest.importorskip("ray")
    out, _, _ = first_run
    raw, _ = inputs
    tiny = Dedup(memory_gb=1e-5)
    s = run(_cfg(raw, tmp_path, sample_terminology, engine="ray", workers=2, dedup=tiny))
    assert s.shards == 4 and _bytes(tmp_path) == _bytes(out)


def test_grouping_bucket_by_bucket_writes_the_same_bytes(
    first_run, inputs, sample_terminology, tmp_path
):
    out, summary, _ = first_run
    raw, _ = inputs
    s = run(_cfg(raw, tmp_path, sample_terminology, dedup=Dedup(memory_gb=1e-5)))
    assert s.duplicates == summary.duplicates >= 2
    assert _bytes(tmp_path) == _bytes(out)
    assert not list(tmp_path.glob(".grouping-*"))


@pytest.mark.slow
def test_a_50_mb_document_and_nul_bytes(sample_terminology, tmp_path):
    """Big and broken records pass through every stage; nothing is lost."""
    notes = _notes(500)
    lines = [f"Visit {k}: {n['transcription']}" for k in range(40) for n in notes]
    big = "\n".join(lines)
    while len(big.encode()) < 50_000_000:
        big += "\n" + big[: 50_000_000 - len(big.encode()) + 1000]
    raw = tmp_path / "raw"
    raw.mkdir()
    rows = [
        orjson.dumps({"id": "big", "text": big}),
        orjson.dumps({"id": "nul", "text": "Chest pain\u0000 since Monday, no fever at all."}),
        b'{"id": "rawnul", "text": "a\x00b"}',
        orjson.dumps({"id": "fine", "text": notes[0]["transcription"]}),
    ]
    (raw / "odd.jsonl").write_bytes(b"\n".join(rows) + b"\n")
    out = tmp_path / "out"
    s = run(
        RunConfig(
            inputs=(str(raw / "*.jsonl"),),
            out=str(out),
            ontology=str(sample_terminology),
            fields=Fields(id="id"),
        )
    )
    assert s.records == 4 and s.docs + s.rejects == 4
    docs = {
        r["id"]: r for r in catalog.query(out, "SELECT id, n_chars, text FROM docs").to_pylist()
    }
    rejects = catalog.query(out, "SELECT line, reason FROM rejects").to_pylist()
    assert "big" in docs and docs["big"]["n_chars"] > 45_000_000
    assert "\x00" not in docs["nul"]["text"] and "Chest pain" in docs["nul"]["text"]
    assert [r["line"] for r in rejects] == [3] and "bad JSON" in rejects[0]["reason"]


def test_repeated_texts_get_the_results_of_one(sample_terminology, tmp_path):
    """Identical texts go through the stages once (a shard's distinct texts); each copy must
    still get every column and mention a lone copy gets."""

    notes = [r["transcription"] for r in _notes(30)]
    note = (
        next(t for t in notes if "hypertension" in t.lower() or "asthma" in t.lower())
        + "\nSeen by Dr. Alice Moore on 03/14/2021; Moore will call back."
    )
    once = [{"id": f"u{i}", "text": t} for i, t in enumerate(notes)]
    many = [*once[:5], *({"id": f"copy{k}", "text": note} for k in range(3)), *once[5:]]
    outs = {}
    for name, rows in (("once", [{"id": "copy0", "text": note}]), ("many", many)):
        raw = tmp_path / name
        raw.mkdir()
        (raw / "a.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
        run(_cfg(raw, tmp_path / f"out-{name}", sample_terminology))
        outs[name] = {
            kind: pq.read_table(next((tmp_path / f"out-{name}" / kind).glob("*"))).to_pylist()
            for kind in ("docs", "mentions", "signatures")
        }
    lone = outs["once"]
    assert lone["mentions"] and lone["docs"][0]["phi_count"] > 0
    skip = {"doc_id", "id", "line"}
    for k in range(3):
        doc = next(d for d in outs["many"]["docs"] if d["id"] == f"copy{k}")
        assert {c: v for c, v in doc.items() if c not in skip} == {
            c: v for c, v in lone["docs"][0].items() if c not in skip
        }
        for kind in ("mentions", "signatures"):
            got = [
                {c: v for c, v in r.items() if c != "doc_id"}
                for r in outs["many"][kind]
                if r["doc_id"] == f"a.jsonl#copy{k}"
            ]
            assert got == [{c: v for c, v in r.items() if c != "doc_id"} for r in lone[kind]]
    # and the other notes' mentions stay in document order
    order = [r["doc_id"].removeprefix("a.jsonl#") for r in outs["many"]["mentions"]]
    assert order == sorted(order, key=[r["id"] for r in many].index)


def test_texts_made_equal_by_boilerplate_removal_get_equal_results(sample_terminology, tmp_path):
    """A footer many notes share goes; a note with it and the same note without end equal."""

    footer = "Electronically signed by the attending physician of record."
    notes = [r["transcription"] for r in _notes(30)]
    rows = [
        {"id": f"n{i}", "text": t + ("\n" + footer if i < 12 else "")} for i, t in enumerate(notes)
    ]
    rows.append({"id": "bare", "text": notes[0]})  # n0 without its footer
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    run(_cfg(raw, tmp_path / "out", sample_terminology))
    docs = {
        d["id"]: d for d in pq.read_table(next((tmp_path / "out" / "docs").glob("*"))).to_pylist()
    }
    assert all(footer not in d["text"] for d in docs.values())
    assert docs["n0"]["boilerplate_lines"] == 1 and docs["bare"]["boilerplate_lines"] == 0
    assert docs["n0"]["text"] == docs["bare"]["text"]
    ments = pq.read_table(next((tmp_path / "out" / "mentions").glob("*"))).to_pylist()
    of = {
        k: [
            {c: v for c, v in m.items() if c != "doc_id"}
            for m in ments
            if m["doc_id"] == f"a.jsonl#{k}"
        ]
        for k in ("n0", "bare")
    }
    assert of["n0"] and of["n0"] == of["bare"]
