"""Metadata tags on real notes: document type, specialty from concepts, year, region."""

from __future__ import annotations

import gzip
from collections import Counter

import numpy as np
import orjson
import pyarrow as pa
from conftest import SHARED, need_shared

from corpus.stages import tag
from corpus.stages.mentions import mentions

# MTSamples' own specialty labels that name one of our branches
GOLD = {
    "Cardiovascular / Pulmonary": {"cardiology", "pulmonology"},
    "Urology": {"nephrology/urology"},
    "Nephrology": {"nephrology/urology"},
    "Gastroenterology": {"gastroenterology"},
    "Neurology": {"neurology"},
    "Obstetrics / Gynecology": {"obstetrics/gynecology"},
    "Orthopedic": {"orthopedics/rheumatology"},
    "Dermatology": {"dermatology"},
    "Ophthalmology": {"ophthalmology"},
    "ENT - Otolaryngology": {"otolaryngology"},
    "Hematology - Oncology": {"hematology", "oncology"},
    "Endocrinology": {"endocrinology"},
    "Psychiatry / Psychology": {"psychiatry"},
}


def _mtsamples() -> list[dict]:
    need_shared()
    with gzip.open(SHARED / "corpora" / "mtsamples" / "mtsamples.jsonl.gz") as f:
        rows = [orjson.loads(line) for line in f]
    return [r for r in rows if (r.get("transcription") or "").strip()]


def test_document_types():
    rows = _mtsamples()[:1000]
    texts = pa.array([r["transcription"] for r in rows])
    kinds = Counter(tag.doc_types(texts, [None] * len(rows)).to_list())
    assert kinds["note"] >= 750, kinds
    others = pa.array(
        [
            (
                "BACKGROUND: Statins lower LDL. METHODS: A randomized trial. RESULTS: Fewer events. "
                "CONCLUSIONS: Effective."
            ),
            "Inclusion criteria: adults aged 18-75 with type 2 diabetes. Exclusion criteria: pregnancy.",
            "问：孩子发烧38度怎么办？\n答：多喝水，观察精神状态。",
            "主诉：胸痛3天。\n现病史：患者3天前出现胸痛。",
            "中国2型糖尿病防治指南（2020年版）",
            "Nothing in particular.",
        ]
    )
    meta = _meta([{}, {}, {}, {}, {"type": ""}, {"doc_type": "discharge summary"}])
    assert tag.doc_types(others, tag.stated(meta, tag.DOC_TYPE_FIELDS)).to_list() == [
        "abstract",
        "trial_criteria",
        "qa",
        "note",
        "guideline",
        "discharge summary",
    ]


def test_specialty_from_concepts_agrees_with_mtsamples_labels(full_terminology):
    rows = _mtsamples()
    texts = pa.array([r["transcription"] for r in rows], pa.large_string())
    ids = pa.array([str(i) for i in range(len(rows))])
    found = tag.specialties(
        ids, mentions(ids, texts, str(full_terminology)), str(full_terminology)
    ).to_list()
    judged = [
        (GOLD[r["medical_specialty"].strip()], s)
        for r, s in zip(rows, found, strict=True)
        if r["medical_specialty"].strip() in GOLD
    ]
    assigned = [(g, s) for g, s in judged if s]
    precision = sum(s in g for g, s in assigned) / len(assigned)
    assert precision > 0.5 and len(assigned) > 0.3 * len(judged), (precision, len(assigned))
    assert set(found) - {None} <= set(tag.BRANCHES)
    # the concept -> specialty table the run used was saved beside the terminology: it reads
    # back as derived (each call reads it; the process keeps only the lookup made from it)
    assert tag._specialty_frame(str(full_terminology)).equals(
        tag._derive_specialties(str(full_terminology))
    )


def test_year_and_region():
    raw = pa.array(
        [
            "Seen on 03/15/2019 for follow-up.",
            "入院日期：2021年5月3日",
            "No date.",
            "Date 2020-01-02",
        ]
    )
    meta = _meta(
        [
            {},
            {"date": "unknown"},
            {"note_date": "2018-07-01", "province": "广东"},
            {"created": "0001-01-01", "text": '"date": 1999'},
        ]
    )
    dates = tag.stated(meta, tag.DATE_FIELDS)
    assert dates == [None, "unknown", "2018-07-01", "0001-01-01"]
    assert tag.years(raw, dates).to_list() == ["2019", "2021", "2018", "2020"]
    assert tag.regions(meta).to_list() == [None, None, "广东", None]
    # a document's text given by index into distinct texts
    assert tag.years(raw, [None] * 3, np.array([3, 3, 0])).to_list() == ["2020", "2020", "2019"]


def test_year_is_the_visits_not_the_birth_date():
    raw = pa.array(
        [
            "Patient DOB: 01/02/1956. Seen in clinic 2023-03-04 for chest pain.",
            "Date of birth 1956-01-02\nHistory since 2001-05-06; admitted 2023-03-04",
            "患者，女，出生日期：1956年3月，2023年5月起胸闷。",
            "born 1956-01-02, no visit date",
            "Admission Date: [**2101-3-4**]  Discharge Date: 2101-3-9  DOB 2040-1-1",
        ]
    )
    assert tag.years(raw, [None] * 5).to_list() == ["2023", "2023", "2023", None, None]


def _meta(records: list[dict]) -> pa.Array:
    return pa.array([orjson.dumps(r).decode() if r else None for r in records], pa.string())
