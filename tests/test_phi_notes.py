"""De-identification on notes nobody on the project's code side wrote: the sets in
tests/fixtures/phi/ were written by helpers who never saw the recognizer (ICU nursing notes in
ALL CAPS and lower case, discharge summaries, MTSamples excerpts with planted PHI, Chinese
admission notes, discharge summaries and consultation dialogues). `*_dev` sets were tuned on;
`*_heldout` sets were only ever scored. And no PHI anywhere in a corpus run's outputs."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest

from corpus.phi_eval import kept_words, read_deid, read_marked, score, write_deid

PHI = Path(__file__).parent / "fixtures" / "phi"

# (file, recall, precision): the dev sets at what tuning reached, the held-out sets at what they
# score (bench/RESULTS.md), each a little below, so a regression fails. `*_dev2` were written
# later in other styles, `*_dev3` in the style of ICU nursing notes, `*_dev4` in clinic, ED,
# phone, portal, report and form styles (tuned on its first notes only: en-g01..20,
# zh-g01..17); each was scored once before it was tuned on (RESULTS has both figures).
FLOORS = [
    ("en_dev.txt", 0.94, 0.97),
    ("zh_dev.txt", 0.96, 0.97),
    ("en_dev2.txt", 0.93, 0.97),
    ("zh_dev2.txt", 0.97, 0.97),
    ("en_dev3.txt", 0.84, 0.97),
    ("zh_dev3.txt", 0.94, 0.97),
    ("en_dev4.txt", 0.87, 0.93),
    ("zh_dev4.txt", 0.93, 0.94),
    ("en_heldout.txt", 0.90, 0.95),
    ("zh_heldout.txt", 0.89, 0.95),
]


@pytest.mark.parametrize(("name", "recall", "precision"), FLOORS)
def test_recall_and_precision_on_written_notes(name, recall, precision):
    notes, gold = read_marked(PHI / name)
    r = score(notes, gold)
    assert r["recall"] >= recall, (r["recall"], r["misses"][:5])
    assert r["precision"] >= precision, (r["precision"], r["false_positives"][:5])


@pytest.mark.parametrize("name", [f for f, *_ in FLOORS])
def test_other_words_are_kept(name):
    notes, gold = read_marked(PHI / name)
    assert kept_words(notes, gold) >= 0.98


def test_clinical_values_and_eponyms_stay():
    from corpus.stages.phi import find

    keep = [
        "BP 120/80, HR 88, PA# 63-70/27-30, CVP 12.",
        "AC 700X15/5/40%, PEEP 5, PS 10/5.",
        "ABG 7.45/34/70 and 7.45.34.7 at 0300.",
        "A@OX3, MAE, 2 mg q4h, 1/2 NS at 100.",
        "Parkinson's disease, Hodgkin lymphoma and a Foley catheter; FOLEY DRAINING.",
        "Pupils 4/4, strength 5/5, pain 6/10, GCS 15, 78 yo, in 2005.",
        "No hallucinations. MoCA 26/30, Epworth 9 of 24.",  # assessments named after towns
        # words that are also post towns somewhere (Oral, SD; Midnight, MS; Upper Tract, WV)
        "Switched to oral meds at midnight; upper tract lesions; a Cottle elevator.",
    ]
    for text in keep:
        assert find(text) == [], (text, find(text))


def test_towns_the_cities_list_lacks_are_places():
    """New England towns and neighbourhoods that GeoNames' cities leave out, from every US
    post town: beside a cue, or rare enough to be a place anywhere."""
    from corpus.stages.phi import deidentify

    texts = ["LIVES IN FALMOUTH, TX HERE 2/13.", "family from hopedale.", "home is Canton."]
    out = deidentify(texts)[0].to_pylist()
    assert out == [
        "LIVES IN [LOCATION], TX HERE [DATE].",
        "family from [LOCATION].",
        "home is [LOCATION].",
    ], out
    assert deidentify(["Canton is near."])[0].to_pylist() == ["Canton is near."]  # no cue
    # what GeoNames gave stays: countries, and names it spells with accents
    back = deidentify(["just back from Egypt.", "lives in Montreal"])[0].to_pylist()
    assert back == ["just back from [LOCATION].", "lives in [LOCATION]"]


def test_eval_command_scores_a_deid_folder(tmp_path):
    """`termnorm phi eval --data DIR` on a folder in the PhysioNet deid layout gives the
    figures of `score` on the same notes."""
    notes, gold = read_marked(PHI / "en_dev.txt")
    write_deid(notes, gold, tmp_path)
    again, gold2 = read_deid(tmp_path)
    assert sorted(t.rstrip("\n") for t in again.values()) == sorted(notes.values())
    assert len(gold2) == len(gold)
    done = subprocess.run(
        [sys.executable, "-m", "termnorm.cli", "phi", "eval", "--data", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    got = json.loads(done.stdout)
    want = score(notes, gold)
    assert (got["recall"], got["precision"], got["gold"]) == (
        want["recall"],
        want["precision"],
        want["gold"],
    )
    assert set(got["by_category"]) == {
        "AGE",
        "DATE",
        "EMAIL",
        "HCP",
        "ID",
        "LOCATION",
        "PATIENT",
        "PHONE",
        "RELATIVE",
        "SSN",
        "URL",
    }


def test_phi_command_shows_spans(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "termnorm.cli", "phi", "-", "--json"],
        input="Husband Rich Martino in to visit. 7/22 found by husband.",
        capture_output=True,
        text=True,
        check=True,
    )
    got = json.loads(done.stdout)
    assert got["text"] == "Husband [NAME] in to visit. [DATE] found by husband."
    assert [(s["type"], s["text"]) for s in got["spans"]] == [
        ("NAME", "Rich Martino"),
        ("DATE", "7/22"),
    ]


# PHI planted in a run's inputs: text, every metadata field, rejected records
PLANTED = [
    "Healey",
    "Martino",
    "欧阳娜娜",
    "13812345678",
    "(201) 324-1423",
    "A1429377",
    "110105194912310021",
    "1956-03-04",
    "42 Maple Street",
    "Calvert Hospital",
    "rich.martino@example.org",
    "北京市朝阳区建国路88号",
]


def _planted_inputs(raw: Path) -> None:
    raw.mkdir()
    note = (
        "PLAN: DR HEALEY IN TO TALK. Husband Rich Martino (cell (201) 324-1423) visited; "
        "transferred from Calvert Hospital, lives at 42 Maple Street. BP 120/80. "
        "Email rich.martino@example.org. The patient has a long history of hypertension "
        "and diabetes, and was admitted for chest pain and shortness of breath."
    )
    zh = (
        "患者欧阳娜娜因胸痛2天入院，身份证号110105194912310021，电话13812345678，住址北京市"
        "朝阳区建国路88号。既往高血压病史10年，否认糖尿病史。查体：血压130/85mmHg，心率88次/分。"
    )
    meta = {
        "patient_name": "Rich Martino",
        "mrn": "A1429377",
        "dob": "1956-03-04",
        "phone": "(201) 324-1423",
        "姓名": "欧阳娜娜",
        "comment": "seen by dr Healey",
        "specialty": "cardiology",
    }
    rows = [
        {"id": "n1", "text": note, **meta},
        {"id": "n2", "text": zh, **meta},
        # rejected by the quality rules: too short
        {"id": "n3", "text": "Dr Healey 13812345678", **meta},
    ]
    lines = [orjson.dumps(r).decode() for r in rows]
    lines.append('{"id": "n4", "text": "call Healey at (201) 324-1423"')  # broken JSON
    (raw / "notes.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _strings(path: Path) -> str:
    if path.suffix == ".parquet":
        return orjson.dumps(pq.read_table(path).to_pylist(), default=str).decode()
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def _run_planted(tmp_path: Path, phi: dict):
    """A corpus run over the planted inputs with these `[phi]` options: (summary, out)."""
    from corpus.config import RunConfig
    from corpus.runner import run

    raw, out = tmp_path / "raw", tmp_path / "out"
    _planted_inputs(raw)
    cfg = RunConfig.from_dict(
        {
            "inputs": [str(raw / "*.jsonl")],
            "out": str(out),
            "fields": {"id": "id", "text": "text"},
            "stages": {"mentions": False},
            "phi": phi,
        }
    )
    return run(cfg), out


def test_no_planted_phi_in_any_output(tmp_path):
    s, out = _run_planted(tmp_path, {"text_fields": ["comment"]})
    assert (s.docs, s.rejects) == (2, 2)
    assert {"patient_name", "mrn", "dob", "phone", "姓名"} <= set(s.meta_dropped)
    assert s.raw_rejects is None
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.parent.name == "rejects" for p in files)
    for p in files:
        text = _strings(p)
        for value in PLANTED:
            assert value not in text, (p.relative_to(out), value)
    meta = json.loads(pq.read_table(out / "docs").column("meta")[0].as_py())
    assert meta == {"comment": "seen by dr [NAME]", "specialty": "cardiology"}


def test_raw_rejects_only_on_request_and_outside_the_catalog(tmp_path):
    from corpus import catalog

    s, out = _run_planted(
        tmp_path, {"keep_raw_rejects": True, "identifying": "hash", "salt": "s3cret-salt"}
    )
    assert s.raw_rejects == str(out / "rejects_raw")
    kept = _strings(next((out / "rejects_raw").iterdir()))
    assert "Healey" in kept  # asked for
    assert "Healey" not in _strings(next((out / "rejects").iterdir()))
    con = catalog.connect(out)
    with pytest.raises(Exception, match="(?i)permission|not allowed|access"):
        con.execute(f"SELECT * FROM read_parquet('{out}/rejects_raw/*.parquet')").fetchall()
    rows = con.execute("SELECT meta FROM docs ORDER BY doc_id").fetchall()
    meta = json.loads(rows[0][0])
    assert len(meta["mrn"]) == 16 and meta["mrn"] != "A1429377"  # a salted hash, joinable
    assert json.loads(rows[1][0])["mrn"] == meta["mrn"]


def test_identifying_metadata_in_any_case_and_nested():
    import pyarrow as pa

    from corpus.stages.phi import deidentify_meta, identifying_field

    for name in (
        "PATIENT_NAME",
        "PHONE_NUMBER",
        "DATE_OF_BIRTH",
        "PatientPhone",
        "name",
        "mrn",
        "身份证号",
        "家属电话",
        "DriversLicense",
        "license_no",
    ):
        assert identifying_field(name), name
    # an article's licence (JATS, `license`) is not a licence number
    for name in ("sample_name", "medical_specialty", "note_id", "keywords", "license"):
        assert not identifying_field(name), name
    meta = pa.array(
        [
            '{"visit": {"PATIENT_NAME": "Rich Martino", "ward": "7"}, '
            '"contacts": [{"phone": "555-0199"}], "kind": "note"}',
            None,
            '"text"',
        ]
    )
    out, dropped, known = deidentify_meta(meta)
    assert out.to_pylist() == [
        '{"visit":{"ward":"7"},"contacts":[{}],"kind":"note"}',
        None,
        '"text"',
    ]
    assert dropped == ["PATIENT_NAME", "phone"]
    assert known.to_pylist() == [["NAME\tMartino", "NAME\tRich", "PHONE\t555-0199"], None, None]


def test_what_a_record_says_of_its_patient_is_redacted_from_its_note():
    """A CSV export's identifying columns, repeated in the note in shapes no rule knows."""
    import pyarrow as pa

    from corpus import pipeline, schema
    from corpus.batch import Batch
    from corpus.config import RunConfig

    notes = [
        "Will Ledner144 seen today, DOB 4/13/1960; he will return. WILL LEDNER144 signed.",
        "Unrelated note: Will Ledner144 is not named in this record's metadata.",
    ]
    meta = ['{"patient_name": "Will Ledner144", "dob": "1960-04-13", "ward": "7B"}', None]
    n = len(notes)
    records = pa.table(
        {
            "doc_id": [f"x:{i}" for i in range(n)],
            "id": [None] * n,
            "patient": [None] * n,
            "source": ["x"] * n,
            "line": list(range(n)),
            "text": pa.array(notes, pa.large_string()),
            "meta": meta,
            "identifiers": [None] * n,
        },
        schema=schema.RECORDS,
    )
    cfg = RunConfig.from_dict({"inputs": ["x"], "out": "y", "stages": {"mentions": False}})
    batch: Batch = pipeline.run(records, pipeline.stages(cfg))
    first, second = batch.docs(schema.docs(pipeline.stages(cfg))).column("text").to_pylist()
    assert "Ledner144" not in first and "LEDNER144" not in first and "4/13/1960" not in first
    assert "he will return" in first  # the name as written or in capitals, not the word
    assert "Ledner144" in second  # another record's metadata says nothing of this note
    assert batch.docs(schema.docs(pipeline.stages(cfg))).column("phi")[0].as_py()["NAME"] >= 3


def test_phi_options_are_checked():
    from corpus.config import RunConfig

    for bad in (
        {"keep_raw_rejects": "no"},
        {"text_fields": "comment"},
        {"identifying": "hash"},
        {"identifying": "hash", "salt": "short"},
        {"identifying": "forget"},
    ):
        with pytest.raises(ValueError, match=r"\[phi\]"):
            RunConfig.from_dict({"phi": bad})


def test_patient_keys_one_a_text():
    from corpus.stages.phi import deidentify

    with pytest.raises(ValueError, match="patient keys"):
        deidentify(["Seen 2/3/21.", "Seen 2/4/21."], surrogates=True, patients=["p1"])


def test_a_rejected_csv_row_quoted_in_its_reason_is_deidentified(tmp_path):
    from corpus.config import RunConfig
    from corpus.runner import run

    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "notes.csv").write_text(
        "id,text,patient_name\n"
        'n1,"Dr Healey called about the chest pain and shortness of breath today",Rich Martino\n'
        'n2,"Dr Healey called (201) 324-1423",Rich Martino,extra\n',
        encoding="utf-8",
    )
    s = run(
        RunConfig.from_dict(
            {
                "inputs": [str(raw / "*.csv")],
                "out": str(out),
                "fields": {"id": "id", "text": "text"},
                "stages": {"mentions": False, "quality": False},
            }
        )
    )
    assert s.rejects == 1
    rejects = _strings(next((out / "rejects").iterdir()))
    for value in ("Healey", "324-1423", "Rich Martino"):
        assert value not in rejects, value


def test_full_width_digits_are_read_as_the_identifiers_they_are():
    """Chinese notes typed with an IME write numbers full-width; CJK punctuation stays."""
    from corpus.stages.phi import deidentify, find

    texts = [
        "患者电话：１３８－１２３４－５６７８，身份证号：１１０１０１１９９００３０７７６７５。",
        "Call ５５５-２０１-３３４４ tomorrow; DOB ０４／１３／１９６０.",
    ]
    out, _ = deidentify(texts)
    assert out.to_pylist() == [
        "患者电话：[PHONE]，身份证号：[ID_CARD]。",
        "Call [PHONE] tomorrow; DOB [DATE].",
    ]
    assert [t for _, _, t in find(texts[1])] == ["PHONE", "DATE"]
    assert find(texts[1])[0][:2] == (5, 17)  # offsets of the text as given
