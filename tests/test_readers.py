"""Corpus readers on the real MTSamples file and on written copies in every format."""

from __future__ import annotations

import gzip

import orjson
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from conftest import SHARED

from corpus.readers import Fields, read

MTS = SHARED / "corpora" / "mtsamples" / "mtsamples.jsonl.gz"
FIELDS = Fields(id="note_id", text="transcription", meta=["medical_specialty"])
with gzip.open(MTS) as _f:
    LINES = [line for line in _f if line.strip()]


def collect(path, fields=FIELDS, batch_size=1000):
    tables, rejects = [], []
    for t, r in read(path, fields, batch_size):
        tables.append(t)
        rejects += r
    return pa.concat_tables(tables), rejects


def test_real_jsonl_gz_streams_in_batches():
    batches = list(read(MTS, FIELDS, batch_size=1000))
    assert all(t.num_rows <= 1000 for t, _ in batches) and len(batches) >= 5
    docs, rejects = collect(MTS)
    assert docs.num_rows + len(rejects) == len(LINES) == 4999
    assert rejects and all(
        r.reason in ("empty text", "no 'transcription' field") and r.source == "mtsamples.jsonl.gz"
        for r in rejects
    )
    first = docs.slice(0, 1).to_pylist()[0]
    assert first["source"] == "mtsamples.jsonl.gz" and first["line"] == 1
    assert set(orjson.loads(first["meta"])) == {"medical_specialty"}


def test_every_format_gives_the_same_documents(tmp_path):
    recs = [orjson.loads(line) for line in LINES[:300]]
    table = pa.Table.from_pylist(recs)
    pq.write_table(table, tmp_path / "n.parquet")
    pcsv.write_csv(table, tmp_path / "n.csv")
    with pa.output_stream(str(tmp_path / "n.jsonl.zst"), compression="zstd") as f:
        f.write(b"".join(orjson.dumps(r) + b"\n" for r in recs))
    (tmp_path / "txt" / "a").mkdir(parents=True)
    for r in recs[:5]:
        (tmp_path / "txt" / "a" / f"{r['note_id']}.txt").write_text(r["transcription"] or "x")
    want = [(r["note_id"], r["transcription"]) for r in recs if (r["transcription"] or "").strip()]
    for name in ("n.parquet", "n.csv", "n.jsonl.zst"):
        got, _ = collect(tmp_path / name)
        assert [
            (d, t) for d, t in zip(got["id"].to_pylist(), got["text"].to_pylist(), strict=True)
        ] == [(str(i), t) for i, t in want], name
        assert got["doc_id"].to_pylist() == [f"{name}#{i}" for i, _ in want]
    txt, _ = collect(tmp_path / "txt")
    assert txt["doc_id"].to_pylist() == sorted(f"txt/a/{r['note_id']}.txt:1" for r in recs[:5])
    assert txt["source"].to_pylist() == sorted(f"txt/a/{r['note_id']}.txt" for r in recs[:5])


def test_bad_records_are_rejected_with_line_and_reason(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_bytes(
        '{"text": "fine one, café naïve"}\n'.encode() + b'{"text": broken\n'
        b'\xff\xfe{"text": "latin-1"}\n'
        b'{"text": 42}\n'
        b'{"id": 7}\n'
        b'{"text": "   "}\n'
        b"[1, 2]\n"
        b'{"text": "nul \\u0000 inside", "id": "n"}\n'
        + b'{"text": "'
        + b"big " * 13_000_000
        + b'"}\n'
    )
    docs, rejects = collect(p, Fields(id="id"))
    assert docs["line"].to_pylist() == [1, 8, 9]
    assert docs["doc_id"].to_pylist() == ["bad.jsonl:1", "bad.jsonl#n", "bad.jsonl:9"]
    assert len(docs["text"][2].as_py()) == 52_000_000
    reasons = {r.line: r.reason for r in rejects}
    assert reasons[2].startswith("bad JSON") and reasons[3].startswith("invalid UTF-8")
    assert reasons[4] == "'text' is a int, not a string" and reasons[5] == "no 'text' field"
    assert reasons[6] == "empty text" and reasons[7].startswith("a record must be an object")
    (tmp_path / "x.docx").write_bytes(b"PK\x03\x04" + bytes(range(256)))
    with pytest.raises(ValueError, match="unknown corpus format"):
        list(read(tmp_path / "x.docx"))


def test_jsonl_batches_carry_the_rejects_read_before_them(tmp_path, monkeypatch):
    """Blocks smaller than a line, and batch edges between blocks: every batch has exactly
    `batch_size` documents and the rejects of the lines read since the batch before."""
    from corpus.readers import streams

    monkeypatch.setattr(streams, "BLOCK", 64)
    recs = [orjson.loads(line) for line in LINES[:12]]
    lines = [orjson.dumps(r) for r in recs]
    lines[2:2] = [b"{oops", b""]
    lines[9:9] = [b'{"transcription": null}']
    p = tmp_path / "notes.jsonl"
    p.write_bytes(b"\n".join(lines))  # no newline after the last line
    got = list(read(p, FIELDS, batch_size=5))
    assert [t.num_rows for t, _ in got] == [5, 5, 2]
    assert [[r.line for r in rej] for _, rej in got] == [[3], [10], []]
    docs = pa.concat_tables(t for t, _ in got)
    assert docs["id"].to_pylist() == [str(r["note_id"]) for r in recs]
    assert docs["text"].to_pylist() == [r["transcription"] for r in recs]
    assert docs["meta"].to_pylist() == [
        orjson.dumps({"medical_specialty": r["medical_specialty"]}).decode() for r in recs
    ]


def test_jsonl_lines_cut_anywhere_by_blocks(tmp_path, monkeypatch):
    """Short lines and blocks that end mid-line, on a newline or hold several lines: every
    record once, in order, with its line number (each block is parsed in place)."""
    from corpus.readers import streams

    recs = [{"id": i, "text": "x" * (1 + i % 37)} for i in range(300)]
    body = b"\n".join(orjson.dumps(r) for r in recs) + b"\n"
    p = tmp_path / "short.jsonl"
    p.write_bytes(body)
    for block in (7, 29, 64, 101, len(body)):
        monkeypatch.setattr(streams, "BLOCK", block)
        got = pa.concat_tables(t for t, _ in read(p, Fields(id="id", text="text"), 50))
        assert got["doc_id"].to_pylist() == [f"short.jsonl#{r['id']}" for r in recs], block
        assert got["line"].to_pylist() == list(range(1, 301)), block
        assert got["text"].to_pylist() == [r["text"] for r in recs], block


def test_a_damaged_compressed_file_keeps_what_was_read(tmp_path):
    """A gzip shard cut off mid-way (a partial download): the documents before the cut are
    read, the rest is one reject naming the first line not read; a file that starts as gzip
    and is none is one reject at line 1; a plain file named .gz is read as what it is."""
    cut = tmp_path / "cut.jsonl.gz"
    data = MTS.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    docs, rejects = collect(cut, FIELDS)
    assert 0 < docs.num_rows < len(LINES)
    (r,) = [r for r in rejects if r.reason.startswith("unreadable")]
    read_lines = docs["line"].to_pylist() + [x.line for x in rejects if x is not r]
    assert r.source == "cut.jsonl.gz" and sorted(read_lines) == list(range(1, r.line))
    fake = tmp_path / "fake.jsonl.gz"
    fake.write_bytes(b"\x1f\x8b" + b"not a deflate stream at all" * 10)
    docs, rejects = collect(fake, FIELDS)
    assert docs.num_rows == 0 and [(r.line, r.reason[:10]) for r in rejects] == [(1, "unreadable")]
    plain = tmp_path / "plain.jsonl.gz"
    plain.write_bytes(b'{"transcription": "plain text, not gzip"}\n')
    docs, rejects = collect(plain, FIELDS)
    assert docs.num_rows == 1 and not rejects
    with pytest.raises(FileNotFoundError):
        collect(tmp_path / "missing.jsonl.gz", FIELDS)


def test_malformed_csv_rows_are_rejected_with_their_text(tmp_path):
    p = tmp_path / "notes.csv"
    p.write_text('id,text\n1,hello there\n2,bad,row,extra\n3,"multi\nline"\n4,\n')
    docs, rejects = collect(p, Fields(id="id"))
    assert docs["doc_id"].to_pylist() == ["notes.csv#1", "notes.csv#3"]
    assert docs["text"][1].as_py() == "multi\nline"
    assert [(r.line, r.reason.split(":")[0]) for r in rejects] == [
        (None, "bad row"),
        (3, "empty text"),
    ]
    assert rejects[0].raw == "2,bad,row,extra"
