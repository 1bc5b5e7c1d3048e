"""Corpus readers: one format per module, all streaming Arrow tables of documents.

    opened = open_input(Path("raw/notes.json.gz"), "2024/notes.json.gz", Fields(text="note"))
    opened.format, opened.encoding          # "json", "gb18030"
    for docs, rejects in opened.batches:    # docs: pa.Table (schema.RECORDS); rejects: list[Reject]
        ...

Formats, known by content where the name does not say: JSON lines and JSON arrays (`.jsonl`,
`.json`, `.ndjson`: the first character decides), `.parquet`, `.csv` / `.tsv`, MEDLINE / PubMed
XML (`corpus.readers.medline`), PMC JATS articles and archives of them (`corpus.readers.jats`), FHIR bulk
NDJSON and Bundles (`corpus.readers.fhir`), WARC / ARC / WET web archives
(`corpus.readers.warc`),
and a folder of `.txt` files (one document each); gzip and zstd streams by their magic bytes. Text is read in
its encoding (a BOM, UTF-8, else detected by `charset-normalizer`, or the one given). A record
that cannot be a document (bad JSON or UTF-8, no text, a text that is not a string, an empty
text, an id its file already had) is a `Reject` naming the file, the line (row, for Parquet and
CSV; the array index for a JSON array) and the reason; a damaged stream keeps the records before
the damage and rejects the rest. No format loads a whole file but a JSON array.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pyarrow as pa

from corpus.readers import fhir, jats, streams, warc
from corpus.readers.records import Fields, Reject, doc_key
from termnorm_utils.errors import InputError

__all__ = [
    "SUFFIXES",
    "Fields",
    "Opened",
    "Reject",
    "doc_key",
    "fields_of",
    "format_of",
    "open_input",
    "read",
]

# the suffixes of files a folder contributes (each with an optional .gz, .zst or .zstd)
SUFFIXES = (
    ".jsonl",
    ".ndjson",
    ".json",
    ".csv",
    ".tsv",
    ".parquet",
    ".xml",
    ".nxml",
    ".tar",
    ".tgz",
    ".warc",
    ".arc",
    ".wet",
    ".wat",
)
_COMPRESSED = re.compile(r"\.(gz|zst|zstd)$", re.IGNORECASE)


@dataclass
class Opened:
    format: str  # jsonl, json, csv, tsv, parquet, text, medline, jats, fhir, warc
    encoding: str | None  # of a text format (a text folder: each file its own)
    batches: Iterator[tuple[pa.Table, list[Reject]]]
    # the ids of earlier files' records this file withdraws (MEDLINE's DeleteCitation), known
    # once the batches are read
    deleted: list[str] = field(default_factory=list)
    # records that are no documents, by why (FHIR resources without a note, ...)
    skipped: Counter = field(default_factory=Counter)


def format_of(path: Path) -> str:
    """The format of `path`: by its suffix, and by its first bytes where the suffix is a JSON one
    (lines or an array) or says nothing."""
    if path.is_dir():
        return "text"
    name = _COMPRESSED.sub("", path.name.lower())
    head = streams.head(path, 1 << 12)
    if name.endswith(".parquet") or head.startswith(b"PAR1"):
        return "parquet"
    if warc.is_archive(path, head):
        return "warc"
    if name.endswith((".csv", ".tsv")):
        return name[-3:]
    first = _first_char(head)
    if first == "{" and fhir.is_fhir(head):
        return "fhir"
    if jats.is_archive(path) or name.endswith(".nxml"):
        return "jats"
    if name.endswith(".xml") or first == "<":
        if b"<PubmedArticleSet" in head:
            return "medline"
        if re.search(rb"<article[\s>]", head):
            return "jats"
        raise InputError(
            f"{path}: an XML file, but neither MEDLINE/PubMed (<PubmedArticleSet>) "
            "nor JATS (<article>)"
        )
    if first == "[":
        return "json"
    if first == "{" or name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    raise InputError(
        f"{path}: unknown corpus format (expected JSON lines or a JSON array, "
        ".parquet, .csv, .tsv, MEDLINE or JATS XML, plain or gzip/zstd, or a folder of .txt "
        "files)"
    )


def _first_char(head: bytes) -> str:
    """The first character that is not white space, in UTF-8, UTF-16 or UTF-32."""
    try:
        text = head.decode(streams.detect(head), "ignore")
    except ValueError:
        return ""
    text = text.lstrip("\ufeff \t\r\n")
    return text[:1]


def open_input(
    path: Path,
    source: str | None = None,
    fields: Fields | None = None,
    batch_size: int = 10_000,
    encoding: str | None = None,
) -> Opened:
    """`path` as tables of documents named after `source` (default: the file's name);
    `encoding` overrides the detected one."""
    from corpus.readers import delimited, jsonarray, jsonl, medline, parquet, textdir

    path = Path(path)
    source = source or path.name
    fields = fields or Fields()
    fmt = format_of(path)
    if fmt == "text":
        return Opened(fmt, encoding, textdir.read(path, source, fields, batch_size, encoding))
    if fmt == "parquet":
        return Opened(fmt, None, parquet.read(path, source, fields, batch_size))
    if fmt == "warc":
        skipped_pages: Counter = Counter()
        return Opened(
            fmt, None, warc.read(path, source, batch_size, skipped_pages), skipped=skipped_pages
        )
    if fmt == "jats":
        return Opened(fmt, "utf-8", jats.read(path, source, batch_size))
    if fmt == "medline":
        deleted: list[str] = []
        skipped_books: Counter = Counter()
        return Opened(
            fmt,
            "utf-8",
            medline.read(path, source, batch_size, deleted, skipped_books),
            deleted,
            skipped_books,
        )
    enc = encoding or streams.detect(streams.head(path))
    if fmt == "fhir":
        skipped: Counter = Counter()
        return Opened(fmt, enc, fhir.read(path, source, batch_size, enc, skipped), skipped=skipped)
    if fmt in ("csv", "tsv"):
        batches = delimited.read(
            path, source, fields, batch_size, enc, "\t" if fmt == "tsv" else ","
        )
    else:
        batches = (jsonarray if fmt == "json" else jsonl).read(
            path, source, fields, batch_size, enc
        )
    return Opened(fmt, enc, batches)


def read(
    path: str | Path,
    fields: Fields | None = None,
    batch_size: int = 10_000,
    source: str | None = None,
    encoding: str | None = None,
) -> Iterator[tuple[pa.Table, list[Reject]]]:
    return open_input(Path(path), source, fields, batch_size, encoding).batches


def fields_of(path: Path, encoding: str | None = None, records: int = 1000) -> set[str] | None:
    """The field names of the first `records` records of `path` (all a CSV header or Parquet
    schema names); None for a text folder or a file whose start cannot be read."""
    from corpus.readers import delimited, jsonarray

    try:
        fmt = format_of(path)
        if fmt in ("text", "medline", "jats", "fhir", "warc"):  # fields the reader makes
            return None
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return set(pq.read_schema(path).names)
        enc = encoding or streams.detect(streams.head(path))
        if fmt in ("csv", "tsv"):
            return set(delimited.header(path, "\t" if fmt == "tsv" else ",", enc))
        if fmt == "json":
            found, _ = jsonarray.records_of(path, enc)
            sample = found[:records]
        else:
            lines = streams.head(path, 1 << 20).decode(enc, "ignore").splitlines()[:records]
            sample = []
            for line in lines:
                try:
                    sample.append(orjson.loads(line))
                except orjson.JSONDecodeError:
                    continue
    except (OSError, ValueError, LookupError, pa.ArrowException):
        return None
    return {k for r in sample if isinstance(r, dict) for k in r}
