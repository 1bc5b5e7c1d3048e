"""Exports as hospitals and benchmarks ship them, through `corpus run` and the catalog: note
numbers that repeat across files, JSON arrays, GB18030, UTF-16, cut archives, a corrupt Parquet
among good ones, folders of JSON lines; runs that would keep nothing end non-zero."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import CORPUS_RUN, SHARED, need_shared

from corpus import catalog
from corpus.config import RunConfig
from corpus.runner import RunProblem, run

MTS = SHARED / "corpora" / "mtsamples" / "mtsamples.jsonl.gz"
CTC = SHARED / "corpora" / "cblue" / "CHIP-CTC_train.json.gz"
GB_CSV = SHARED / "formats" / "chinese-medical" / "toyhom_im_sample_500.gb18030.csv"


def _notes(n: int, start: int = 0) -> list[dict]:
    need_shared()
    with gzip.open(MTS) as f:
        rows = [orjson.loads(line) for line in f][start:]
    rows = [r for r in rows if len((r.get("transcription") or "").strip()) > 200]
    return [{"id": i + 1, "text": r["transcription"]} for i, r in enumerate(rows[:n])]


def _cfg(inputs, out, **kw) -> RunConfig:
    stages = {"mentions": False, **kw.pop("stages", {})}
    return RunConfig.from_dict(
        {
            "inputs": [str(i) for i in inputs],
            "out": str(out),
            "fields": kw.pop("fields", {"id": "id"}),
            "stages": stages,
            **kw,
        }
    )


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def test_note_numbers_repeated_across_exports_stay_apart(tmp_path):
    """Two monthly exports numbering their notes from 1, and two `notes.jsonl` in different
    folders: every record is one document with its own key, `source` tells the files apart,
    and what the tokenizer reads (`dup_of IS NULL`) keeps each distinct text once."""
    jan, feb = _notes(20), _notes(20, start=400)
    _jsonl(tmp_path / "raw" / "2024-01" / "notes.jsonl", jan)
    _jsonl(tmp_path / "raw" / "2024-02" / "notes.jsonl", feb[:10] + jan[10:])  # 10 repeats
    s = run(_cfg([tmp_path / "raw" / "*" / "notes.jsonl"], tmp_path / "out"))
    assert s.records == s.docs == 40
    docs = catalog.query(tmp_path / "out", "SELECT doc_id, id, source, dup_of FROM docs")
    rows = docs.to_pylist()
    assert len({r["doc_id"] for r in rows}) == 40
    assert {r["source"] for r in rows} == {"2024-01/notes.jsonl", "2024-02/notes.jsonl"}
    assert {r["doc_id"] for r in rows if r["id"] == "1"} == {
        "2024-01/notes.jsonl#1",
        "2024-02/notes.jsonl#1",
    }
    dups = {r["doc_id"]: r["dup_of"] for r in rows if r["dup_of"]}
    assert dups == {f"2024-02/notes.jsonl#{i}": f"2024-01/notes.jsonl#{i}" for i in range(11, 21)}
    kept = catalog.query(tmp_path / "out", "SELECT count(*) AS n FROM docs WHERE dup_of IS NULL")
    assert kept["n"][0].as_py() == 30


def test_an_id_repeated_within_a_file_is_a_reject(tmp_path):
    rows = _notes(5)
    rows.append({"id": 2, "text": "A different note that reuses the number of the second."})
    _jsonl(tmp_path / "raw" / "a.jsonl", rows)
    s = run(_cfg([tmp_path / "raw" / "a.jsonl"], tmp_path / "out"))
    assert (s.docs, s.rejects) == (5, 1)
    (r,) = catalog.query(tmp_path / "out", "SELECT source, line, reason FROM rejects").to_pylist()
    assert r == {"source": "a.jsonl", "line": 6, "reason": "id '2' repeats the record of line 2"}


def test_cut_archives_keep_every_complete_line(tmp_path):
    """gzip and zstd cut at 90%: every line that was whole before the cut is read (a document
    or a reject with its reason); the rest is one reject naming where reading stopped."""
    import zstandard

    data = gzip.decompress(MTS.read_bytes())
    lines = data.split(b"\n")
    for name, packed in (
        ("cut.jsonl.gz", gzip.compress(data)),
        ("cut.jsonl.zst", zstandard.ZstdCompressor().compress(data)),
    ):
        cut = packed[: int(len(packed) * 0.9)]
        (tmp_path / name).write_bytes(cut)
        if name.endswith(".gz"):
            import zlib

            whole = zlib.decompressobj(31).decompress(cut)
        else:
            whole = zstandard.ZstdDecompressor().decompressobj().decompress(cut)
        complete = whole.count(b"\n")
        assert 0.8 * len(lines) < complete < len(lines)
        out = tmp_path / f"out-{name}"
        run(
            _cfg(
                [tmp_path / name],
                out,
                fields={"id": "note_id", "text": "transcription"},
                stages={"quality": False},
            )
        )
        rej = catalog.query(out, "SELECT line, reason FROM rejects ORDER BY line").to_pylist()
        stop = [r for r in rej if r["reason"].startswith("unreadable from this line on")]
        assert len(stop) == 1 and "cut short" in stop[0]["reason"], name
        # each complete line is a document or a reject; a part line at the cut may be too
        seen = catalog.query(out, "SELECT line FROM docs")["line"].to_pylist()
        seen += [r["line"] for r in rej if r not in stop]
        assert sorted(seen)[:complete] == list(range(1, complete + 1)), name
        assert len(seen) <= complete + 1 and stop[0]["line"] == len(seen) + 1, name


def test_a_corrupt_parquet_among_good_files_is_one_reject(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for k in range(2):
        pq.write_table(pa.Table.from_pylist(_notes(10, start=100 * k)), raw / f"good{k}.parquet")
    (raw / "broken.parquet").write_bytes(b"PAR1 this was a parquet file before the copy failed")
    s = run(_cfg([raw / "*.parquet"], tmp_path / "out", fields={"text": "text"}))
    assert s.docs == 20 and s.rejects == 1
    (r,) = catalog.query(tmp_path / "out", "SELECT source, reason FROM rejects").to_pylist()
    assert r["source"] == "broken.parquet" and r["reason"].startswith("unreadable")


def test_a_gb18030_csv_beside_a_utf8_one_gives_both(tmp_path):
    need_shared()
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(GB_CSV, raw / "consult.csv")  # a copy: the run reads a folder of its own
    (raw / "utf8.csv").write_bytes(GB_CSV.read_bytes().decode("gb18030").encode())
    s = run(_cfg([raw], tmp_path / "out", fields={"text": "answer"}, stages={"quality": False}))
    assert s.records == 1000 and s.docs == 1000
    got = catalog.query(
        tmp_path / "out",
        "SELECT source, count(*) AS n, "
        "count_if(text LIKE '%高血压%') AS htn FROM docs GROUP BY 1 ORDER BY 1",
    )
    rows = got.to_pylist()
    assert [r["source"] for r in rows] == ["consult.csv", "utf8.csv"]
    assert rows[0]["htn"] == rows[1]["htn"] > 0
    enc = catalog.query(tmp_path / "out", "SELECT input, encoding FROM shards ORDER BY input")
    assert enc["encoding"].to_pylist() == ["gb18030", "utf-8"]


def test_json_arrays_utf16_and_folders_of_json_lines(tmp_path):
    """The CBLUE file as shipped (a gzipped JSON array), a UTF-16 JSON lines file, and a folder
    whose JSON lines files sit in subfolders: all read, each record once."""
    need_shared()
    raw = tmp_path / "raw"
    (raw / "deep" / "er").mkdir(parents=True)
    shutil.copy(CTC, raw / "ctc.json.gz")
    notes = _notes(12)
    (raw / "deep" / "utf16.jsonl").write_bytes(
        b"".join(orjson.dumps(r) + b"\n" for r in notes).decode().encode("utf-16")
    )
    _jsonl(raw / "deep" / "er" / "a.jsonl", notes)
    (raw / "deep" / "er" / "readme.md").write_text("not an input")
    s = run(_cfg([raw], tmp_path / "out"))
    ctc = len(orjson.loads(gzip.decompress(CTC.read_bytes())))
    assert s.records == ctc + 24 and s.shards == 3
    by = {
        r["source"]: r["n"]
        for r in catalog.query(
            tmp_path / "out", "SELECT source, count(*) AS n FROM docs GROUP BY 1"
        ).to_pylist()
    }
    assert by["deep/utf16.jsonl"] == 12 and by["deep/er/a.jsonl"] == 12
    s2 = run(_cfg([raw], tmp_path / "out2", input={"pattern": "*.jsonl"}))
    assert s2.shards == 2 and s2.records == 24


def test_chinese_criteria_pass_the_default_quality_rules(tmp_path):
    """CHIP-CTC eligibility criteria are short sentences and list items: at most 2% may fail
    the rules."""
    need_shared()
    s = run(_cfg([CTC], tmp_path / "out"))
    assert s.records == 22962
    assert s.rejects <= 0.02 * s.records, catalog.query(
        tmp_path / "out", "SELECT reason, count(*) FROM rejects GROUP BY 1"
    ).to_pylist()


def test_no_chinese_note_is_rejected(tmp_path):
    """The Chinese notes of the PHI dev sets (admission, operative, follow-up, dialogues),
    de-identified by the run: each stays a document."""
    from corpus.phi_eval import read_marked

    rows = [
        {"id": f"{f.stem}-{key[0]}", "text": text}
        for f in sorted((Path(__file__).parent / "fixtures" / "phi").glob("zh_dev*.txt"))
        for key, text in read_marked(f)[0].items()
    ]
    assert len(rows) >= 40
    _jsonl(tmp_path / "zh.jsonl", rows)
    s = run(_cfg([tmp_path / "zh.jsonl"], tmp_path / "out"))
    assert s.docs == len(rows) and s.rejects == 0


def test_a_text_folder_is_done_again_when_a_file_in_it_changes(tmp_path):
    """A folder of notes is one shard; editing or adding a file in a subfolder leaves the
    folder's own time as it was, and the rerun must still read it again."""
    from corpus.catalog import query

    notes = tmp_path / "notes"
    (notes / "2024" / "jan").mkdir(parents=True)
    first = notes / "2024" / "jan" / "a.txt"
    first.write_text("Patient seen for chest pain, troponin negative, discharged home.")
    out = tmp_path / "out"
    assert run(_cfg([notes], out)).skipped == 0
    assert run(_cfg([notes], out)).skipped == 1
    (notes / "2024" / "jan" / "b.txt").write_text(
        "Follow-up visit: no chest pain since, walking two miles a day."
    )
    again = run(_cfg([notes], out))
    assert again.skipped == 0 and again.docs == 2
    first.write_text("Patient seen for chest pain, troponin positive, admitted to cardiology.")
    assert run(_cfg([notes], out)).skipped == 0
    texts = query(out, "SELECT text FROM docs ORDER BY doc_id").column("text").to_pylist()
    assert "admitted to cardiology" in texts[0] and len(texts) == 2


@pytest.mark.parametrize("case", ["text-field", "all-rejected", "empty-folder"])
def test_runs_that_would_keep_nothing_fail_with_a_reason(tmp_path, case):
    cmd = [sys.executable, "-m", "termnorm.cli", "corpus", "run", "--out", str(tmp_path / "out")]
    raw = tmp_path / "raw"
    _jsonl(raw / "notes.jsonl", _notes(5))
    if case == "text-field":
        cmd += [
            "--input",
            str(raw / "notes.jsonl"),
            "--text-field",
            "transcription",
            "--config",
            str(_no_normalize(tmp_path)),
        ]
        want = "notes.jsonl: no record has the text field 'transcription'; its fields are id, text"
    elif case == "all-rejected":
        _jsonl(raw / "junk.jsonl", [{"text": "ok", "id": i} for i in range(3)])
        cmd += ["--input", str(raw), "--id-field", "id", "--config", str(_no_normalize(tmp_path))]
        want = "junk.jsonl: all 3 records rejected"
    else:
        (raw / "notes.jsonl").unlink()
        (raw / "only.md").write_text("nothing to read")
        cmd += ["--input", str(raw), "--config", str(_no_normalize(tmp_path))]
        want = "no input files of a supported format"
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 1 and want in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert "Traceback" not in done.stderr and len(errors) == 1, done.stderr
    if case == "all-rejected":
        ok = subprocess.run(
            [*cmd, "--allow-rejects", "--json"], capture_output=True, text=True, check=False
        )
        assert ok.returncode == 0 and orjson.loads(ok.stdout)["rejects"] == 3, ok.stderr


def _no_normalize(tmp_path: Path) -> Path:
    p = tmp_path / "run.toml"
    p.write_text("[stages]\nnormalize = false\n")
    return p


def test_the_library_raises_with_the_summary(tmp_path):
    _jsonl(tmp_path / "raw" / "junk.jsonl", [{"text": "ok", "id": i} for i in range(4)])
    with pytest.raises(RunProblem, match="all 4 records rejected") as e:
        run(_cfg([tmp_path / "raw"], tmp_path / "out"))
    assert e.value.summary.rejects == 4
    assert (tmp_path / "out" / "catalog.duckdb").exists()


@pytest.mark.slow
def test_kill_9_leaves_no_worker_behind(tmp_path):
    """A two-worker run killed with SIGKILL: 5 s later no process of it is alive, and the
    rerun's outputs equal a clean run's, byte for byte."""
    raw = tmp_path / "raw"
    for k in range(4):
        _jsonl(raw / f"part{k}.jsonl", _notes(150, start=600 * k))
    base = [
        *CORPUS_RUN,
        "--input",
        str(raw),
        "--id-field",
        "id",
        "--workers",
        "2",
        "--config",
        str(_no_normalize(tmp_path)),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.Popen(
        [*base, "--out", str(tmp_path / "killed")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 60
    while len(parent.children(recursive=True)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    kids = parent.children(recursive=True)
    assert len(kids) >= 2, "the workers never started"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(5)
    alive = [p for p in psutil.process_iter(["pid"]) if _in_group(p, proc.pid)]
    assert not alive, [p.cmdline() for p in alive]
    subprocess.run(
        [*base, "--out", str(tmp_path / "killed")], env=env, check=True, capture_output=True
    )
    subprocess.run(
        [*base, "--out", str(tmp_path / "clean")], env=env, check=True, capture_output=True
    )
    for kind in ("docs", "mentions", "signatures", "rejects"):
        for f in sorted((tmp_path / "clean" / kind).glob("*.parquet")):
            assert (tmp_path / "killed" / kind / f.name).read_bytes() == f.read_bytes(), f


def _in_group(p: psutil.Process, pgid: int) -> bool:
    try:
        return os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE
    except (ProcessLookupError, psutil.Error):
        return False


@pytest.mark.parametrize(
    ("config", "flags", "want"),
    [
        ('workers = "two"\n', [], "run.toml: workers = 'two': Input should be a valid integer"),
        (
            "[dedup]\nthreshold = 1.5\n",
            [],
            "run.toml: [dedup] threshold = 1.5: Input should be less than or equal to 1",
        ),
        (
            "",
            ["--set", "dedup.thresh=3"],
            "flags: [dedup] thresh = 3: Extra inputs are not permitted",
        ),
        ("", ["--out", "notes.jsonl"], "notes.jsonl: the output path is a file, not a folder"),
        ('[phi]\nidentifying = "hash"\n', [], "[phi]"),
    ],
)
def test_config_errors_are_one_line_before_any_shard(tmp_path, config, flags, want):
    _jsonl(tmp_path / "notes.jsonl", _notes(2))
    (tmp_path / "run.toml").write_text(config + "[stages]\nnormalize = false\n")
    cmd = [
        *CORPUS_RUN,
        "--config",
        "run.toml",
        "--input",
        "notes.jsonl",
        *flags,
    ]
    if "--out" not in flags:
        cmd += ["--out", "out"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, check=False)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 1 and len(errors) == 1 and want in errors[0], done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out" / "docs").exists()


def test_the_config_template_is_the_defaults():
    import tomllib

    from corpus.config import RunConfig, template

    text = template()
    assert "[dedup]" in text and "threshold = 0.8" in text and "# Worker processes (" in text
    assert "memory_gb = 2.0" in text
    assert RunConfig.from_dict(tomllib.loads(text)) == RunConfig()


def test_workers_auto_is_one_a_cpu_and_other_words_are_errors():
    from termnorm_utils.errors import InputError

    assert 1 <= RunConfig().with_flags(workers="auto").workers <= len(os.sched_getaffinity(0))
    assert RunConfig.from_dict({"workers": "auto"}).workers >= 1
    with pytest.raises(InputError, match="workers"):
        RunConfig().with_flags(workers="two")


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB file system (tmpfs; needs the right to mount, as root has on the dev box)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)],
        capture_output=True,
        check=False,
    )
    if done.returncode:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


def test_a_full_disk_is_one_line_naming_where_and_leaves_no_temp_file(small_disk):
    need_shared()
    out = small_disk / "out"
    cmd = [
        *CORPUS_RUN,
        "--input",
        str(SHARED / "corpora" / "mtsamples" / "mtsamples.jsonl.gz"),
        "--out",
        str(out),
        "--text-field",
        "transcription",
        "--set",
        "stages.normalize=false",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr + done.stdout
    last = (done.stderr or done.stdout).strip().splitlines()[-1]
    assert last.startswith(f"error: {out}: writing the outputs of mtsamples.jsonl.gz: ")
    assert "No space left on device" in last
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name or p.suffix == ".wal"]
