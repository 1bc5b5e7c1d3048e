"""FHIR R4 exports: a bulk-data NDJSON file (one resource a line; `Type.000.ndjson`) or a Bundle
(JSON), plain or compressed; `line` is the resource's line (a Bundle: its entry, 1-based).

A document is a note: a DocumentReference's attachment, or a DiagnosticReport's `presentedForm`
(inline base64 `data` of text/plain, text/markdown or text/html, in its charset). Its id is the
resource's; its patient (`patient`) is the subject's id, which the pipeline keeps only as a
salted hash. Metadata: the resource type, status, LOINC code and `doc_type` (its display), date,
and from the note's Encounter (the Bundle's, or the bulk export's `Encounter` files beside it)
the class, period, type and service provider. Nothing of the Patient resource is read.

Set aside with a count (`skipped`), not rejected: resources that hold no note (Patient,
Condition, ...), `entered-in-error` notes, `superseded` ones whose replacement (`relatesTo`
"replaces") is in the same file, a DiagnosticReport with the same text as a DocumentReference of
the file, attachments by URL only or of other types (PDF). A note whose replacement is not in
the export is kept, `status` saying "superseded".
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pyarrow as pa

from corpus.readers import streams
from corpus.readers.records import Batcher, Fields, Reject

FIELDS = Fields(id="id", text="text", patient="patient")
NOTES = ("DocumentReference", "DiagnosticReport")
TEXT_TYPES = ("text/plain", "text/markdown", "text/html", "text/x-markdown")


def is_fhir(head: bytes) -> bool:
    """Does the start of a JSON file look like FHIR resources?"""
    return b'"resourceType"' in head[:2048]


def read(path: Path, source: str, batch_size: int, encoding: str, skipped: Counter
         ) -> Iterator[tuple[pa.Table, list[Reject]]]:
    batcher = Batcher(source, FIELDS, batch_size)
    resources = list(_resources(path, encoding, batcher.rejects, source))
    bundle = [r for _, r in resources if r.get("resourceType") != "Bundle"]
    def context(kind: str) -> dict[str, dict]:  # the file's own, else the export's beside it
        own = {r.get("id"): r for r in bundle if r.get("resourceType") == kind}
        return own or _beside(path, kind, encoding)

    encounters, patients = context("Encounter"), context("Patient")
    replaced = {_ref(t.get("target")) for r in bundle for t in r.get("relatesTo", ())
                if t.get("code") == "replaces"}
    texts_of_documents: set[str] = set()
    notes: list[tuple[int, dict, str]] = []
    for line, r in resources:
        kind = r.get("resourceType")
        if kind not in NOTES:
            skipped[f"{kind}: no note"] += 1
            continue
        status = r.get("status")
        if status == "entered-in-error":
            skipped[f"{kind}: entered in error"] += 1
            continue
        if status == "superseded" and r.get("id") in replaced:
            skipped[f"{kind}: superseded by a note of the export"] += 1
            continue
        text, why = _note_text(r)
        if why:
            skipped[f"{kind}: {why}"] += 1
            continue
        if kind == "DocumentReference":
            texts_of_documents.add(text)
        notes.append((line, r, text))
    for line, r, text in notes:
        if r["resourceType"] == "DiagnosticReport" and text in texts_of_documents:
            skipped["DiagnosticReport: the same text as a DocumentReference"] += 1
            continue
        yield from batcher.add(line, _record(r, text, encounters, patients), b"")
    yield batcher.flush()


def _resources(path: Path, encoding: str, rejects: list[Reject], source: str
               ) -> Iterator[tuple[int, dict]]:
    data = b"".join(streams.utf8(path, encoding))
    try:
        whole = orjson.loads(data)
    except orjson.JSONDecodeError:
        whole = None
    if isinstance(whole, dict) and whole.get("resourceType") == "Bundle":
        for no, entry in enumerate(whole.get("entry") or (), start=1):
            res = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(res, dict):
                yield no, res
            else:
                rejects.append(Reject(source, no, "a Bundle entry without a resource", ""))
        return
    for no, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            res = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            rejects.append(Reject(source, no, f"bad JSON: {e}", ""))
            continue
        if not isinstance(res, dict) or "resourceType" not in res:
            rejects.append(Reject(source, no, "not a FHIR resource (no resourceType)", ""))
            continue
        yield no, res


def _beside(path: Path, kind: str, encoding: str) -> dict[str, dict]:
    """The resources of `kind` in the bulk export files beside `path` (`Encounter.000.ndjson`,
    `Encounter.ndjson.gz`), by id."""
    out: dict[str, dict] = {}
    for f in sorted(path.parent.glob(f"*{kind}*.ndjson*")):
        if f == path:
            continue
        for line in b"".join(streams.utf8(f, encoding)).splitlines():
            try:
                res = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(res, dict) and res.get("resourceType") == kind:
                out[res.get("id")] = res
    return out


def _note_text(r: dict) -> tuple[str, str | None]:
    """The note's text, or why there is none to read."""
    if r["resourceType"] == "DocumentReference":
        forms = [c.get("attachment") or {} for c in r.get("content") or ()]
    else:
        forms = list(r.get("presentedForm") or ())
    if not forms:
        return "", "no attachment"
    why = "no attachment"
    for a in forms:
        ctype = (a.get("contentType") or "text/plain").lower()
        mime, _, params = ctype.partition(";")
        if mime.strip() not in TEXT_TYPES:
            why = f"an attachment of type {mime.strip()}"
            continue
        if "data" not in a:
            why = "an attachment by URL only" if a.get("url") else "an empty attachment"
            continue
        try:
            raw = base64.b64decode(a["data"], validate=False)
        except (binascii.Error, ValueError):
            why = "an attachment that is not base64"
            continue
        charset = params.partition("charset=")[2].strip() or "utf-8"
        try:
            text = raw.decode(charset)
        except (UnicodeDecodeError, LookupError):
            text = raw.decode("utf-8", "replace")
        if mime.strip() == "text/html":
            from lxml import html

            text = html.fromstring(text).text_content() if text.strip() else ""
        if text.strip():
            return text, None
        why = "an empty attachment"
    return "", why


def _record(r: dict, text: str, encounters: dict[str, dict], patients: dict[str, dict]
            ) -> dict:
    kind = r["resourceType"]
    code = r.get("type") if kind == "DocumentReference" else r.get("code")
    loinc = next((c for c in (code or {}).get("coding", ())
                  if "loinc" in (c.get("system") or "")), {})
    enc_ref = ((r.get("context") or {}).get("encounter") or [None])[0] \
        if kind == "DocumentReference" else r.get("encounter")
    enc = encounters.get(_ref(enc_ref)) or {}
    period = enc.get("period") or {}
    patient = _ref(r.get("subject"))
    record = {
        "id": r.get("id"),
        "text": text,
        "patient": patient,
        # what identifies the patient, for the de-identification to find in the note: the
        # metadata loses these fields (corpus.stages.phi.deidentify_meta)
        **_identifying(patients.get(patient) or {}),
        "resource": kind,
        "status": r.get("status"),
        "loinc": loinc.get("code"),
        "doc_type": loinc.get("display") or (code or {}).get("text"),
        # dates of a patient's care are identifiers (Safe Harbor): their year only
        "date": _year(r.get("date") or r.get("effectiveDateTime") or r.get("issued")),
        "encounter_class": (enc.get("class") or {}).get("code"),
        "encounter_type": next((t.get("text") for t in enc.get("type") or () if t.get("text")),
                               None),
        "encounter_year": _year(period.get("start")),
        "encounter_minutes": _minutes(period.get("start"), period.get("end")),
        "service_provider": (enc.get("serviceProvider") or {}).get("display"),
    }
    return {k: v for k, v in record.items() if v is not None}


def _ref(ref) -> str | None:
    """The id a reference points at: "Patient/abc", "urn:uuid:abc" -> "abc"."""
    if isinstance(ref, dict):
        ref = ref.get("reference")
    if not isinstance(ref, str) or not ref:
        return None
    return ref.rsplit("/", 1)[-1].removeprefix("urn:uuid:")


def _identifying(p: dict) -> dict:
    """A Patient's names, birth date, address, phone and identifiers, under field names the
    de-identification knows as identifying."""
    names = [" ".join([*n.get("given", ()), n.get("family", "")]).strip()
             for n in p.get("name") or ()]
    addresses = [" ".join(filter(None, [*a.get("line", ()), a.get("city"), a.get("postalCode")]))
                 for a in p.get("address") or ()]
    out = {
        "patient_name": [n for n in names if n],
        "patient_birth_date": p.get("birthDate"),
        "patient_address": [a for a in addresses if a],
        "patient_city": [a.get("city") for a in p.get("address") or () if a.get("city")],
        "patient_zip": [a.get("postalCode") for a in p.get("address") or ()
                        if a.get("postalCode")],
        "patient_phone": [t.get("value") for t in p.get("telecom") or () if t.get("value")],
        "patient_mrn": [i.get("value") for i in p.get("identifier") or () if i.get("value")],
    }
    for a in p.get("address") or ():
        out["patient_address"] += list(a.get("line", ()))
    return {k: v for k, v in out.items() if v}


def _year(when: str | None) -> str | None:
    return when[:4] if isinstance(when, str) and when[:4].isdigit() else None


def _minutes(start: str | None, end: str | None) -> int | None:
    from datetime import datetime

    try:
        return round((datetime.fromisoformat(end) - datetime.fromisoformat(start))
                     .total_seconds() / 60)
    except (TypeError, ValueError):
        return None
