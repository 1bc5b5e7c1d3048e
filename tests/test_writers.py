"""Shard and rejects writers: atomic, deterministic, readable back."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from conftest import SHARED

from corpus.readers import Fields, Reject, read
from corpus.writers import write_rejects, write_table

MTS = SHARED / "corpora" / "mtsamples" / "mtsamples.jsonl.gz"


def test_shards_round_trip_and_are_byte_identical(tmp_path):
    docs, rejects = next(read(MTS, Fields(id="note_id", text="transcription"), 2000))
    a = write_table(docs, tmp_path / "a" / "shard-00000.parquet")
    b = write_table(docs, tmp_path / "b" / "shard-00000.parquet")
    assert a.read_bytes() == b.read_bytes()
    assert pq.read_table(a).equals(docs)
    r = write_rejects(rejects + [Reject("x.jsonl", 3, "bad JSON", "{")], tmp_path / "rej.parquet")
    back = pq.read_table(r).to_pylist()
    assert back[-1] == {"source": "x.jsonl", "line": 3, "reason": "bad JSON", "raw": "{"}
    assert pq.read_table(write_rejects([], tmp_path / "none.parquet")).num_rows == 0


def test_a_failed_write_leaves_nothing_and_keeps_the_old_file(tmp_path):
    docs, _ = next(read(MTS, Fields(id="note_id", text="transcription"), 100))
    path = write_table(docs, tmp_path / "s.parquet")
    before = path.read_bytes()
    with pytest.raises(AttributeError):
        write_table("not a table", path)  # fails inside the write
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.parquet"], "no temporary left behind"


def test_statistics_where_they_prune_not_on_free_text(tmp_path):
    """Readers can skip row groups by doc_id and by the struct's leaves; whole notes and their
    metadata are not copied into the footer as min/max."""
    import pyarrow as pa

    docs, _ = next(read(MTS, Fields(id="note_id", text="transcription"), 500))
    docs = docs.append_column(
        "phi",
        pa.StructArray.from_arrays(
            [pa.array(range(docs.num_rows), pa.uint32())] * 2, names=["NAME", "DATE"]
        ),
    )
    docs = docs.append_column("negated", pa.array([i % 2 == 0 for i in range(docs.num_rows)]))
    md = pq.ParquetFile(write_table(docs, tmp_path / "s.parquet")).metadata.row_group(0)
    stats = {md.column(i).path_in_schema: md.column(i).statistics for i in range(md.num_columns)}
    assert stats["text"] is None and stats["meta"] is None and stats["negated"] is None
    assert stats["doc_id"].min == min(docs.column("doc_id").to_pylist())
    assert stats["phi.DATE"].max == docs.num_rows - 1
    text_bytes = sum(len(t.encode()) for t in docs.column("text").to_pylist())
    assert pq.ParquetFile(tmp_path / "s.parquet").metadata.serialized_size < text_bytes / 100
