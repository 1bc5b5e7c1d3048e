"""The FHIR reader on the real Synthea exports of ../shared/data/formats/fhir: every resource a
document, a reject or set aside with a count (against an independent count), the Bundle's notes
once though two resources carry each, no Patient identifier anywhere in a run's outputs, the
patient key a salted hash, and `model prepare` splitting by patient."""

from __future__ import annotations

import base64
import gzip
import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import SHARED, need_shared, read_all

from corpus import catalog
from corpus.config import RunConfig
from corpus.runner import run

FHIR = SHARED / "formats" / "fhir"
BULK = FHIR / "bulk-ndjson"


def _bundle() -> Path:
    need_shared()
    return next((FHIR / "synthea-bundle").glob("*.json.gz"))


def test_bulk_files_account_for_every_resource():
    need_shared()
    for f in sorted(BULK.glob("*.ndjson")):
        kinds = Counter(json.loads(line)["resourceType"] for line in f.open())
        opened, docs, rejects = read_all(f)
        assert opened.format == "fhir" and not rejects
        assert len(docs) + sum(opened.skipped.values()) == sum(kinds.values())
        if f.name.startswith("DocumentReference"):
            assert len(docs) == kinds["DocumentReference"] == 50
        else:
            assert dict(opened.skipped) == {f"{k}: no note": n for k, n in kinds.items()}


def test_a_note_reads_its_encounter_and_hides_its_dates():
    need_shared()
    _, docs, _ = read_all(BULK / "DocumentReference.000.ndjson")
    encounters = {
        json.loads(line)["id"]: json.loads(line) for line in (BULK / "Encounter.000.ndjson").open()
    }
    notes = [json.loads(line) for line in (BULK / "DocumentReference.000.ndjson").open()]
    for doc, note in zip(docs, notes, strict=True):
        meta = json.loads(doc["meta"])
        enc = encounters[note["context"]["encounter"][0]["reference"].split("/")[-1]]
        assert doc["id"] == note["id"] and doc["patient"] == note["subject"]["reference"][8:]
        assert meta["loinc"] == note["type"]["coding"][0]["code"]
        assert meta["doc_type"] == note["type"]["coding"][0]["display"]
        assert meta["encounter_class"] == enc["class"]["code"]
        assert (
            meta["date"] == note["date"][:4]
            and meta["encounter_year"] == enc["period"]["start"][:4]
        )
        assert not any(k.startswith("patient") for k in meta)
        assert any(i.startswith("NAME\t") for i in doc["identifiers"])  # for the PHI stage only


def test_the_bundle_gives_each_note_once():
    bundle = json.loads(gzip.decompress(_bundle().read_bytes()))
    kinds = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    opened, docs, rejects = read_all(_bundle())
    assert not rejects and len(docs) == kinds["DocumentReference"] == 32
    assert opened.skipped["DiagnosticReport: the same text as a DocumentReference"] == 32
    assert len(docs) + sum(opened.skipped.values()) == len(bundle["entry"])
    assert len({d["text"] for d in docs}) == 32


def _patient_identifiers() -> set[str]:
    patients = [json.loads(line) for line in (BULK / "Patient.000.ndjson").open()]
    bundle = json.loads(gzip.decompress(_bundle().read_bytes()))
    patients += [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    ]
    found = {_bundle().name.split("_")[0], _bundle().name.split("_")[1]}
    for p in patients:
        found.add(p["id"])
        found.add(p["birthDate"])
        for n in p.get("name", ()):
            found.update([*n.get("given", ()), n["family"]])
        for a in p.get("address", ()):
            found.update([*a.get("line", ()), a.get("city"), a.get("postalCode")])
        found.update(t["value"] for t in p.get("telecom", ()))
        found.update(i["value"] for i in p.get("identifier", ()))
    return {f for f in found if f}


@pytest.fixture(scope="module")
def fhir_run(tmp_path_factory, full_terminology):
    need_shared()
    out = tmp_path_factory.mktemp("fhir") / "out"
    cfg = RunConfig.from_dict(
        {
            "inputs": [str(FHIR)],
            "out": str(out),
            "ontology": str(full_terminology),
            "phi": {"salt": SALT},
        }
    )
    return out, run(cfg)


SALT = "this site's own salt"


def test_patient_keys_need_a_salt(tmp_path):
    need_shared()
    with pytest.raises(
        ValueError,
        match=r"fhir-[0-9a-f]{12}\.json\.gz: FHIR notes: patient keys "
        r"are kept as salted hashes; give \[phi\] salt",
    ):
        run(
            RunConfig(inputs=(str(_bundle()),), out=str(tmp_path / "out")).with_values(
                {"stages.mentions": False}
            )
        )
    assert not (tmp_path / "out" / "docs").exists()


def test_no_patient_identifier_reaches_any_output(fhir_run):
    out, s = fhir_run
    assert s.docs == 50 + 32 and s.rejects == 0 and s.not_documents > 400
    needles = _patient_identifiers()
    assert len(needles) > 30
    leaks = {}
    for f in out.rglob("*"):
        if not f.is_file():
            continue
        data = f.read_bytes()
        if f.suffix == ".parquet":
            data += str(pq.read_table(f).to_pylist()).encode()
        leaks.update({n: f.name for n in needles if n.encode() in data or n in f.name})
    assert not leaks


def test_the_patient_key_is_a_salted_hash(fhir_run):
    out, _ = fhir_run
    keys = catalog.query(out, "SELECT patient, count(*) AS n FROM docs GROUP BY 1").to_pylist()
    assert len(keys) == 4 and all(len(k["patient"]) == 16 for k in keys)
    assert (
        sum(k["n"] for k in keys)
        == catalog.query(out, "SELECT count(*) AS n FROM docs").column("n")[0].as_py()
    )


def test_model_prepare_splits_by_patient(fhir_run, tmp_path, monkeypatch):
    from modelbuild import prepare as pr
    from modelbuild import tokenizer as tk

    out, _ = fhir_run
    tk.build(out, tmp_path / "tok", "bpe", 512, None, None, 0)
    asked: list[str] = []
    real = pr.is_validation
    monkeypatch.setattr(pr, "is_validation", lambda key, f: asked.append(key) or real(key, f))
    m = pr.prepare(out, tmp_path / "tok", tmp_path / "data", seq_len=64, validation=0.5)
    patients = (
        catalog.query(
            out,
            "SELECT patient FROM docs WHERE dup_of IS NULL AND withdrawn IS NULL ORDER BY doc_id",
        )
        .column("patient")
        .to_pylist()
    )
    assert asked == patients and len(set(asked)) == 4
    assert m["splits"]["validation"]["documents"] + m["splits"]["train"]["documents"] == len(
        patients
    )


def test_surrogate_dates_move_by_one_offset_per_patient(tmp_path, sample_terminology):
    """Each Synthea note opens with its date: with surrogates, a patient's notes move by the
    same number of days (intervals between visits hold), other patients' by their own."""
    from datetime import date

    need_shared()
    (tmp_path / "in").mkdir()
    for name in ("DocumentReference.000.ndjson", "Encounter.000.ndjson", "Patient.000.ndjson"):
        (tmp_path / "in" / name).write_bytes((BULK / name).read_bytes())
    out = tmp_path / "out"
    run(
        RunConfig.from_dict(
            {
                "inputs": [str(tmp_path / "in")],
                "out": str(out),
                "ontology": str(sample_terminology),
                "allow_rejects": True,
                "phi": {"surrogates": True, "salt": "a salt of this site"},
            }
        )
    )
    notes = {
        json.loads(line)["id"]: json.loads(line)
        for line in (BULK / "DocumentReference.000.ndjson").open()
    }
    shifts: dict[str, set[int]] = {}
    for row in catalog.query(out, "SELECT id, patient, text FROM docs").to_pylist():
        raw = base64.b64decode(notes[row["id"]]["content"][0]["attachment"]["data"]).decode()
        was, now = (date.fromisoformat(t.split()[0]) for t in (raw, row["text"]))
        shifts.setdefault(row["patient"], set()).add((now - was).days)
    assert len(shifts) == 3
    assert all(len(s) == 1 and 0 not in s for s in shifts.values())
    assert len({next(iter(s)) for s in shifts.values()}) == 3
