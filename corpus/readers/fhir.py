"""FHIR R4 exports: a bulk-data NDJSON file (one resource a line; `Type.000.ndjson`) or a Bundle
(JSON), plain or compressed; `line` is the resource's line (a Bundle: its entry, 1-based).

A document is a note: a DocumentReference's attachment, or a DiagnosticReport's `presentedForm`
(inline base64 `data` of text/plain, text/markdown or text/html, in its charset). Its id is the
resource's; its patient (`patient`) is the subject's id, which the pipeline keeps only as a
salted hash. Metadata: the resource type, status, LOINC code and `doc_type` (its display), date,
and from the note's Encounter (the Bundle's, or the bulk export's `Encounter` files beside it)
the class, period, type and service provider. Of the Patient resource, only what identifies
the patient is read, for the de-identification to find in the note (never written).

Set aside with a count (`skipped`), not rejected: resources that hold no note (Patient,
Condition, ...), `entered-in-error` notes, `superseded` ones whose replacement (`relatesTo`
"replaces") is in the same file, a DiagnosticReport with the same text as a DocumentReference of
the file, attachments by URL only or of other types (PDF). A note whose replacement is not in
the export is kept, `status` saying "superseded".
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pyarrow as pa

from corpus.readers import streams
from corpus.readers.records import IDENTIFIERS, Batcher, Fields, Reject

FIELDS = Fields(id="id", text="text", patient="patient")
NOTES = ("DocumentReference", "DiagnosticReport")
TEXT_TYPES = ("text/plain", "text/markdown", "text/html", "text/x-markdown")


def is_fhir(head: bytes) -> bool:
    """Is a JSON file FHIR: a Bundle, or NDJSON whose first line is a resource?"""
    if re.match(rb'\s*\{\s*"resourceType"\s*:\s*"Bundle"', head):
        return True
    try:
        first = orjson.loads(head.split(b"\n", 1)[0])
    except orjson.JSONDecodeError:
        return bool(re.search(rb'"resourceType"\s*:\s*"Bundle"', head[:512]))
    kind = first.get("resourceType") if isinstance(first, dict) else None
    return isinstance(kind, str) and re.fullmatch(r"[A-Z][A-Za-z]+", kind) is not None


# what a resource of the wrong shape raises on the way ("content": [null], "subject": 3)
MALFORMED = (AttributeError, TypeError, KeyError, ValueError)


def read(
    path: Path, source: str, batch_size: int, encoding: str, skipped: Counter
) -> Iterator[tuple[pa.Table, list[Reject]]]:
    batcher = Batcher(source, FIELDS, batch_size)
    data, damage = _data(path, encoding)
    resources = list(_resources(data, batcher.rejects, source))
    bundle = [r for _, r in resources if r.get("resourceType") != "Bundle"]

    def context(kind: str) -> dict[str, dict]:  # the file's own, else the export's beside it
        own = {r.get("id"): r for r in bundle if r.get("resourceType") == kind}
        return own or _beside(path, kind, encoding)

    encounters, patients = context("Encounter"), context("Patient")
    replaced = {
        _ref(t.get("target"))
        for r in bundle
        for t in _list(r.get("relatesTo"))
        if isinstance(t, dict) and t.get("code") == "replaces"
    }
    texts_of_documents: set[str] = set()
    notes: list[tuple[int, dict, str]] = []
    for line, r in resources:
        kind = r.get("resourceType")
        try:
            why, text = _set_aside(r, replaced)
        except MALFORMED as e:
            batcher.rejects.append(Reject(source, line, f"a malformed {kind}: {e!r}", ""))
            continue
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
        try:
            record = _record(r, text, encounters, patients)
        except MALFORMED as e:
            batcher.rejects.append(
                Reject(source, line, f"a malformed {r['resourceType']}: {e!r}", "")
            )
            continue
        yield from batcher.add(line, record, b"")
    yield batcher.flush()
    if damage:
        lines = data.count(b"\n") + 1
        raise streams.Damaged(f"{damage} (after line {lines})")


def _set_aside(r: dict, replaced: set) -> tuple[str | None, str]:
    """Why a resource is no document (None for a note), and the note's text."""
    if r.get("resourceType") not in NOTES:
        return "no note", ""
    status = r.get("status")
    if status == "entered-in-error":
        return "entered in error", ""
    if status == "superseded" and r.get("id") in replaced:
        return "superseded by a note of the export", ""
    text, why = _note_text(r)
    return why, text


def _list(x) -> list:
    return x if isinstance(x, list) else []


def _data(path: Path, encoding: str) -> tuple[bytes, str | None]:
    """The file's bytes as UTF-8, and what damaged it (a cut gzip) where it stops early."""
    chunks: list[bytes] = []
    try:
        chunks.extend(streams.utf8(path, encoding))
    except streams.Damaged as e:
        return b"".join(chunks), str(e)
    return b"".join(chunks), None


def _resources(data: bytes, rejects: list[Reject], source: str) -> Iterator[tuple[int, dict]]:
    try:
        whole = orjson.loads(data)
    except orjson.JSONDecodeError:
        whole = None
    if isinstance(whole, dict) and whole.get("resourceType") == "Bundle":
        for no, entry in enumerate(_list(whole.get("entry")), start=1):
            res = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(res, dict):
                yield no, res
            else:
                rejects.append(Reject(source, no, "a Bundle entry without a resource", ""))
        return
    lines = data.splitlines()
    for no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            res = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            if no < len(lines) or data.endswith(b"\n"):
                rejects.append(Reject(source, no, f"bad JSON: {e}", ""))
            continue  # a last line the damage cut short: the Damaged reject says so
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
        forms = [c.get("attachment") or {} for c in _list(r.get("content"))]
    else:
        forms = _list(r.get("presentedForm"))
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


def _record(r: dict, text: str, encounters: dict[str, dict], patients: dict[str, dict]) -> dict:
    kind = r["resourceType"]
    code = r.get("type") if kind == "DocumentReference" else r.get("code")
    loinc = next(
        (c for c in (code or {}).get("coding", ()) if "loinc" in (c.get("system") or "")), {}
    )
    enc_ref = (
        ((r.get("context") or {}).get("encounter") or [None])[0]
        if kind == "DocumentReference"
        else r.get("encounter")
    )
    enc = encounters.get(_ref(enc_ref)) or {}
    period = enc.get("period") or {}
    patient = _ref(r.get("subject"))
    record = {
        "id": r.get("id"),
        "text": text,
        "patient": patient,
        # what identifies the patient, for the de-identification to find in the note; never
        # written (schema.RECORDS `identifiers`)
        IDENTIFIERS: _identifying(patients.get(patient) or {}) or None,
        "resource": kind,
        "status": r.get("status"),
        "loinc": loinc.get("code"),
        "doc_type": loinc.get("display") or (code or {}).get("text"),
        # dates of a patient's care are identifiers (Safe Harbor): their year only
        "date": _year(r.get("date") or r.get("effectiveDateTime") or r.get("issued")),
        "encounter_class": (enc.get("class") or {}).get("code"),
        "encounter_type": next(
            (t.get("text") for t in enc.get("type") or () if t.get("text")), None
        ),
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


def _identifying(p: dict) -> list[str]:
    """A Patient's names, birth date, address, phone and identifiers as "TYPE\tvalue"."""
    out = []
    for n in p.get("name") or ():
        if isinstance(n, dict):
            out += [
                f"NAME\t{w}"
                for part in (*n.get("given", ()), n.get("family") or "")
                for w in str(part).split()
                if len(w) >= 2
            ]
    birth = p.get("birthDate")
    if isinstance(birth, str) and birth:
        out.append(f"DATE\t{birth}")  # its other shapes: corpus.stages.phi.redact_known
    for a in p.get("address") or ():
        if isinstance(a, dict):
            out += [f"ADDRESS\t{line}" for line in a.get("line", ()) if line]
            out += [
                f"{kind}\t{a[key]}"
                for key, kind in (("city", "LOCATION"), ("postalCode", "POSTCODE"))
                if a.get(key)
            ]
    out += [
        f"PHONE\t{t['value']}"
        for t in p.get("telecom") or ()
        if isinstance(t, dict) and t.get("value")
    ]
    out += [
        f"ID\t{i['value']}"
        for i in p.get("identifier") or ()
        if isinstance(i, dict) and i.get("value")
    ]
    return sorted(set(out))


def _year(when: str | None) -> str | None:
    return when[:4] if isinstance(when, str) and when[:4].isdigit() else None


def _minutes(start: str | None, end: str | None) -> int | None:
    from datetime import datetime

    try:
        return round(
            (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 60
        )
    except (TypeError, ValueError):
        return None
