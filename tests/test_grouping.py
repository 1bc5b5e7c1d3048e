"""Cross-shard duplicate grouping bucket by bucket (`corpus.grouping`) against the one-process
path, on signatures of real notes (MTSamples) with edited, re-cased and empty copies."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import SHARED, need_shared

from corpus import grouping, schema
from corpus.dedup import shard_duplicates
from corpus.stages.signatures import Signatures
from termnorm import _native


class _Batch:
    """What the signatures stage reads of a batch."""

    def __init__(self, ids: list[str], texts: list[str]) -> None:
        self.texts = pa.array(texts)
        self.of = pa.array(range(len(texts)))
        self.per_text: dict = {}
        self.outputs: dict = {}
        self._ids = pa.array(ids)

    def column(self, name: str) -> pa.Array:
        assert name == "doc_id"
        return self._ids


@pytest.fixture(scope="module")
def shard_files(tmp_path_factory) -> list[Path]:
    """Four shard signature files: 1,200 MTSamples notes, then edited copies (one word
    changed), upper-cased copies (exact duplicates by key) and empty notes spread over them."""
    need_shared()
    with gzip.open(SHARED / "corpora" / "mtsamples" / "mtsamples.jsonl.gz") as f:
        notes = [t for t in (orjson.loads(line)["transcription"] or "" for line in f) if t]
    notes = notes[:1200]
    rng = random.Random(3)
    docs = [(f"n{i}", t) for i, t in enumerate(notes)]
    for k, i in enumerate(rng.sample(range(len(notes)), 150)):
        words = notes[i].split()
        j = rng.randrange(len(words))
        docs.append((f"edit{k}", " ".join(words[:j] + ["reportedly"] + words[j + 1 :])))
    docs += [(f"upper{k}", notes[i].upper()) for k, i in enumerate(rng.sample(range(1200), 60))]
    docs += [(f"empty{k}", "") for k in range(5)]
    rng.shuffle(docs)
    folder = tmp_path_factory.mktemp("signatures")
    paths = []
    for k in range(4):
        part = docs[k::4]
        batch = _Batch([d for d, _ in part], [t for _, t in part])
        Signatures()(batch)  # type: ignore[arg-type]
        paths.append(folder / f"shard{k}.parquet")
        pq.write_table(batch.outputs["signatures"], paths[-1], row_group_size=100)
    return paths


def _joins(monkeypatch) -> list:
    """Records each verification that goes through the join (candidates over the budget)."""
    calls: list = []
    join = grouping._join
    monkeypatch.setattr(grouping, "_join", lambda *a: calls.append(1) or join(*a))
    return calls


def test_buckets_give_the_table_of_one_process(shard_files, tmp_path, monkeypatch):
    one = shard_duplicates(shard_files, 0.8)
    dups = one.num_rows - one.column("dup_of").null_count
    assert dups >= 200  # most edited copies and every upper-cased one
    p = grouping.plan(shard_files, 0.8, 1e-4, tmp_path)
    assert p.buckets > 20 and p.verify_docs < 300  # many buckets, candidates over the budget
    joins = _joins(monkeypatch)
    bucketed = shard_duplicates(shard_files, 0.8, memory_gb=1e-4, workdir=tmp_path)
    assert bucketed.equals(one) and joins
    assert not list(tmp_path.iterdir())  # the scratch folder is gone
    # an empty shard among the others numbers nothing
    empty = tmp_path.parent / "empty-signatures.parquet"
    pq.write_table(schema.signatures(128).empty_table(), empty)
    files = [shard_files[0], empty, *shard_files[1:]]
    got = shard_duplicates(files, 0.8, memory_gb=1e-4, workdir=tmp_path)
    assert got.equals(one) and len(joins) == 2


def test_withdrawn_documents_take_no_part_either_way(shard_files, tmp_path, monkeypatch):
    one = shard_duplicates(shard_files, 0.8)
    gone = pa.array(one.filter(pa.compute.is_null(one.column("dup_of"))).column("doc_id")[:40])
    kept = shard_duplicates(shard_files, 0.8, withdrawn=gone)
    assert kept.num_rows < one.num_rows
    assert not set(gone.to_pylist()) & set(kept.column("doc_id").to_pylist())
    joins = _joins(monkeypatch)
    for budget in (1e-4, 2e-3):  # candidates joined, or gathered at once
        bucketed = shard_duplicates(shard_files, 0.8, gone, memory_gb=budget, workdir=tmp_path)
        assert bucketed.equals(kept)
    assert len(joins) == 1


def test_a_pool_of_workers_gives_the_same_table(shard_files, tmp_path):
    one = shard_duplicates(shard_files, 0.7)
    pooled = shard_duplicates(shard_files, 0.7, memory_gb=1e-3, workdir=tmp_path, workers=2)
    assert pooled.equals(one) and one.num_rows


def test_no_documents_no_duplicates(tmp_path):
    empty = tmp_path / "empty.parquet"
    pq.write_table(schema.signatures(128).empty_table(), empty)
    got = shard_duplicates([empty], 0.8, memory_gb=1e-4, workdir=tmp_path)
    assert got.num_rows == 0 and got.schema == schema.DUPLICATES
    # distinct documents without exact keys, after an empty shard
    sigs = np.random.default_rng(0).integers(0, 2**32 - 1, size=(50, 128), dtype=np.uint32)
    distinct = tmp_path / "distinct.parquet"
    cols = [
        pa.array([f"d{i}" for i in range(50)]),
        pa.nulls(50, pa.binary(16)),
        pa.FixedSizeListArray.from_arrays(pa.array(sigs.ravel()), 128),
    ]
    pq.write_table(pa.table(cols, schema=schema.signatures(128)), distinct)
    got = shard_duplicates([empty, distinct], 0.8, memory_gb=1e-6, workdir=tmp_path)
    assert got.num_rows == 0 and got.schema == schema.DUPLICATES


def test_a_cut_band_key_file_is_an_error_naming_it(tmp_path):
    cut = tmp_path / "000000.bin"
    cut.write_bytes(b"\0" * 40)
    with pytest.raises(ValueError, match=r"000000\.bin: not whole 16-byte band keys"):
        _native.minhash_bucket_candidates([str(cut)])
