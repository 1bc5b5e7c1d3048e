"""One input file through every stage into its output files: the unit of work of a run.

    result = process(Path("raw/a.jsonl.gz"), "a.jsonl.gz-1f2e3d4c", Path("out"), config,
                     "a.jsonl.gz")

Writes `docs/`, `mentions/`, `signatures/`, `concept_counts/` and `rejects/` files named after
the shard, each atomically; the runner records the shard as done in the manifest only after all
of them exist, so a shard interrupted anywhere is simply done again. Output depends only on the
input and the options: the same bytes whichever worker runs it.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from corpus import pipeline, schema
from corpus.batch import Batch
from corpus.config import RunConfig
from corpus.readers import Reject, open_input
from corpus.readers.streams import Damaged
from corpus.stages.phi import deidentify, redact_identifying_json, redact_record
from corpus.writers import rejects_table, stream, write_table

OUTPUTS = ("docs", "mentions", "signatures", "rejects", "concept_counts")
SIDE_OUTPUTS = ("mentions", "signatures", "concept_counts")  # the stages' besides docs
# what a stage that is off leaves (the signatures stage is always on)
EMPTY = {"mentions": schema.MENTIONS.empty_table(), "concept_counts": schema.COUNTS.empty_table()}
# the original text of rejected records, only when `[phi] keep_raw_rejects`; no catalog view
RAW_REJECTS = "rejects_raw"


@dataclass(frozen=True)
class ShardResult:
    name: str
    records: int  # documents read plus records rejected by the reader
    docs: int
    rejects: int
    mentions: int
    bytes_in: int
    meta_dropped: tuple[str, ...] = ()  # metadata fields dropped or hashed as identifying
    source: str = ""
    format: str | None = None
    encoding: str | None = None
    reject_reason: str | None = None  # the most frequent one, without the record
    unreadable: int = 0  # rejects that are the file's rest (or whole), not a record
    deleted: tuple[str, ...] = ()  # ids of earlier files' records it withdraws (MEDLINE)
    skipped: int = 0  # records that are no documents (a FHIR Patient), not in `records`
    skip_reasons: dict[str, int] = field(default_factory=dict)
    node: str | None = None  # the Ray node that processed it (None: this machine)


def output_paths(out: Path, name: str) -> dict[str, Path]:
    return {kind: out / kind / f"{name}.parquet" for kind in OUTPUTS}


def process(
    path: Path, name: str, out: Path, cfg: RunConfig, source: str | None = None
) -> ShardResult:
    """Batch by batch: each batch's rows are appended to the shard's output files, so memory
    holds one batch (and the rejects), whatever the size of the input. A file that cannot be
    read (or read on) is a reject naming it; what was read before stays."""
    source = source or path.name
    paths = output_paths(out, name)
    rejects: list[Reject] = []
    dropped: set[str] = set()
    opened = None
    stages = pipeline.stages(cfg)
    docs_schema = schema.docs(stages)
    with contextlib.ExitStack() as files:
        docs = files.enter_context(stream(paths["docs"]))
        # the mentions as dictionary arrays, read back as their values (schema.MENTIONS)
        side = {
            kind: files.enter_context(stream(paths[kind], arrow_schema=kind != "mentions"))
            for kind in SIDE_OUTPUTS
        }

        def write(batch: Batch) -> None:
            docs.write(batch.docs(docs_schema))
            for kind, file in side.items():
                file.write(batch.outputs[kind] if kind in batch.outputs else EMPTY[kind])
            rejects.extend(batch.rejects)
            dropped.update(batch.meta_dropped)

        try:
            opened = open_input(path, source, cfg.fields, cfg.batch_size, cfg.input.encoding)
        except UNREADABLE as e:
            rejects.append(Reject(source, None, f"unreadable: {_why(e)}", ""))
        for records, bad in _guarded(opened.batches if opened else iter(()), source, rejects):
            rejects += bad
            if records.num_rows:
                write(pipeline.run(records, stages))
        if not docs.started:  # no documents at all: empty files of the right schemas
            write(pipeline.run(schema.RECORDS.empty_table(), stages))
    raw_path = out / RAW_REJECTS / f"{name}.parquet"
    if cfg.stages.phi:
        # a reject keeps its text de-identified; the original only on request, elsewhere
        if cfg.phi.keep_raw_rejects:
            write_table(rejects_table(rejects), raw_path)
        # the raw text and the reason (a reader may quote the row in it), metadata values of
        # identifying fields blanked first (the text rules do not know "mrn": "A14")
        n = len(rejects)
        clean, _ = deidentify(
            [redact_record(r.raw) for r in rejects]
            + [redact_identifying_json(r.reason) for r in rejects]
        )
        texts = clean.to_pylist()
        rejects = [
            Reject(r.source, r.line, reason, raw)
            for r, raw, reason in zip(rejects, texts[:n], texts[n:], strict=True)
        ]
    if not (cfg.stages.phi and cfg.phi.keep_raw_rejects):
        raw_path.unlink(missing_ok=True)  # a rerun without the option leaves none behind
    write_table(rejects_table(rejects), paths["rejects"])
    reasons = Counter(_reason_kind(r.reason) for r in rejects)
    return ShardResult(
        name,
        docs.rows + len(rejects),
        docs.rows,
        len(rejects),
        side["mentions"].rows,
        _size(path),
        tuple(sorted(dropped)),
        source,
        opened.format if opened else None,
        opened.encoding if opened else None,
        min(reasons, key=lambda k: (-reasons[k], k)) if reasons else None,
        sum(r.reason.startswith("unreadable") for r in rejects),
        tuple(opened.deleted) if opened else (),
        sum(opened.skipped.values()) if opened else 0,
        dict(sorted(opened.skipped.items())) if opened else {},
    )


# what a file that cannot be read raises: the OS, pyarrow (a corrupt Parquet or CSV), a
# decoder, a damaged stream
UNREADABLE = (OSError, ValueError, UnicodeError, LookupError, pa.ArrowException, Damaged)


def _why(e: BaseException) -> str:
    return str(e) or type(e).__name__


def _guarded(
    batches: Iterator[tuple[pa.Table, list[Reject]]], source: str, rejects: list[Reject]
) -> Iterator[tuple[pa.Table, list[Reject]]]:
    """The reader's batches until it fails; its failure is one more reject. Only the reader is
    guarded: a stage's error is a bug to report, not a bad input."""
    read = 0
    while True:
        try:
            batch, bad = next(batches)
        except StopIteration:
            return
        except UNREADABLE as e:
            where = f"after {read} records" if read else "at the start"
            rejects.append(Reject(source, None, f"unreadable {where}: {_why(e)}", ""))
            return
        read += batch.num_rows + len(bad)
        yield batch, bad


def _reason_kind(reason: str) -> str:
    """A reject reason without what quotes the record (a bad row's text, a JSON position)."""
    return reason.split(":", 1)[0] if not reason.startswith("quality") else reason


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size
