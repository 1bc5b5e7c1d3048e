"""One input file through every stage into its output files: the unit of work of a run.

    result = process(Path("raw/a.jsonl.gz"), "a.jsonl.gz-1f2e3d4c", Path("out"), config,
                     "a.jsonl.gz")

Writes `docs/`, `mentions/`, `signatures/`, `concept_counts/` and `rejects/` files named after
the shard, each atomically; the runner records the shard as done in the manifest only after all
of them exist, so a shard interrupted anywhere is simply done again. Output depends only on the
input and the options: the same bytes whichever worker runs it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from corpus.config import RunConfig
from corpus.readers import DOCS_SCHEMA, Reject, open_input
from corpus.readers.streams import Damaged
from corpus.stages import language, quality, tag
from corpus.stages.clean import clean, remove_boilerplate
from corpus.stages.normalize import MENTIONS_SCHEMA, concept_counts, for_documents, text_mentions
from corpus.stages.phi import TYPES, deidentify, deidentify_meta, redact_identifying_json
from corpus.writers import rejects_table, stream, write_table
from termnorm import _native

OUTPUTS = ("docs", "mentions", "signatures", "rejects", "concept_counts")
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


def output_paths(out: Path, name: str) -> dict[str, Path]:
    return {kind: out / kind / f"{name}.parquet" for kind in OUTPUTS}


def process(path: Path, name: str, out: Path, cfg: RunConfig, source: str | None = None
            ) -> ShardResult:
    """Batch by batch: each batch's rows are appended to the shard's output files, so memory
    holds one batch (and the rejects), whatever the size of the input. A file that cannot be
    read (or read on) is a reject naming it; what was read before stays."""
    source = source or path.name
    paths = output_paths(out, name)
    rejects: list[Reject] = []
    dropped: set[str] = set()
    opened = None
    with (stream(paths["docs"]) as docs, stream(paths["mentions"], arrow_schema=False) as ments,
          stream(paths["signatures"]) as sigs, stream(paths["concept_counts"]) as counts):
        try:
            opened = open_input(path, source, cfg.fields, cfg.batch_size, cfg.input.encoding)
        except UNREADABLE as e:
            rejects.append(Reject(source, None, f"unreadable: {_why(e)}", ""))
        for batch, bad in _guarded(opened.batches if opened else iter(()), source, rejects):
            rejects += bad
            if batch.num_rows:
                if cfg.stages.phi:
                    meta, gone = deidentify_meta(batch.column("meta").combine_chunks(),
                                                 cfg.phi.identifying, cfg.phi.salt,
                                                 cfg.phi.text_fields)
                    batch = batch.set_column(batch.schema.get_field_index("meta"), "meta", meta)
                    dropped.update(gone)
                d, m, s, c, r = _batch(batch, cfg)
                docs.write(d)
                ments.write(m)
                sigs.write(s)
                counts.write(c)
                rejects += r
        if not docs.started:  # no documents at all: empty files of the right schemas
            d, m, s, c, _ = _batch(DOCS_SCHEMA.empty_table(), cfg)
            docs.write(d)
            ments.write(m)
            sigs.write(s)
            counts.write(c)
    raw_path = out / RAW_REJECTS / f"{name}.parquet"
    if cfg.stages.phi:
        # a reject keeps its text de-identified; the original only on request, elsewhere
        if cfg.phi.keep_raw_rejects:
            write_table(rejects_table(rejects), raw_path)
        # the raw text and the reason (a reader may quote the row in it), metadata values of
        # identifying fields blanked first (the text rules do not know "mrn": "A14")
        n = len(rejects)
        clean, _ = deidentify([redact_identifying_json(r.raw) for r in rejects]
                              + [redact_identifying_json(r.reason) for r in rejects])
        texts = clean.to_pylist()
        rejects = [Reject(r.source, r.line, reason, raw)
                   for r, raw, reason in zip(rejects, texts[:n], texts[n:], strict=True)]
    if not (cfg.stages.phi and cfg.phi.keep_raw_rejects):
        raw_path.unlink(missing_ok=True)  # a rerun without the option leaves none behind
    write_table(rejects_table(rejects), paths["rejects"])
    reasons = Counter(_reason_kind(r.reason) for r in rejects)
    return ShardResult(name, docs.rows + len(rejects), docs.rows, len(rejects), ments.rows,
                       _size(path), tuple(sorted(dropped)), source,
                       opened.format if opened else None, opened.encoding if opened else None,
                       min(reasons, key=lambda k: (-reasons[k], k)) if reasons else None,
                       sum(r.reason.startswith("unreadable") for r in rejects))


# what a file that cannot be read raises: the OS, pyarrow (a corrupt Parquet or CSV), a
# decoder, a damaged stream
UNREADABLE = (OSError, ValueError, UnicodeError, LookupError, pa.ArrowException, Damaged)


def _why(e: BaseException) -> str:
    return str(e) or type(e).__name__


def _guarded(batches: Iterator[tuple[pa.Table, list[Reject]]], source: str,
             rejects: list[Reject]) -> Iterator[tuple[pa.Table, list[Reject]]]:
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


def _batch(batch: pa.Table, cfg: RunConfig
           ) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table, list[Reject]]:
    raw = batch.column("text").combine_chunks()
    # Per-text work is done once per distinct text (a note filed under several specialties, a
    # copied template); each output column is then taken once for the kept documents.
    raw_distinct, raw_of = _distinct(raw)
    sha = _native.sha256_hex(raw_distinct)
    # `text[of[i]]` is document i's text
    text, of = (clean(raw_distinct) if cfg.stages.clean else raw_distinct), raw_of
    per_doc: dict[str, np.ndarray] = {}
    b = cfg.boilerplate
    if cfg.stages.clean and b.enabled:
        # counts lines across documents: each distinct text counts as its copies
        trimmed, dropped = remove_boilerplate(text, b.min_docs, b.min_share, b.min_chars,
                                              copies=np.bincount(of, minlength=len(text)))
        per_doc["boilerplate_lines"] = dropped.to_numpy()[of]
        if per_doc["boilerplate_lines"].any():  # texts may have become equal: again once each
            text, again = _distinct(trimmed)
            of = again[of]
    # Every later stage is a function of the text alone.
    per_text: dict[str, pa.Array] = {}
    if cfg.stages.phi:
        text, counts = deidentify(text, cfg.phi.surrogates)
        per_type = np.stack([counts.column(t).to_numpy() for t in TYPES], axis=1)
        per_text["phi_count"] = pa.array(per_type.sum(axis=1).astype(np.uint32))
        per_text["phi"] = pa.StructArray.from_arrays([counts.column(t).combine_chunks()
                                                      for t in TYPES], names=list(TYPES))
    sig = quality.signals(text)
    lang = language.detect(text, sig)
    failure = (quality.failures(sig, cfg.quality) if cfg.stages.quality
               else pl.Series("failure", [None] * len(sig), pl.Utf8))
    keep_text = failure.is_null().to_numpy()
    keep = keep_text[of]
    reasons = failure.to_list()
    rejects = [Reject(batch.column("source")[i].as_py(), batch.column("line")[i].as_py(),
                      reasons[of[i]], raw[i].as_py()[:10_000])
               for i in np.flatnonzero(~keep)]
    docs = np.flatnonzero(keep)  # the kept documents' rows
    # the kept documents' texts, each distinct text once; kept_of[j]: kept document j's
    distinct_kept = np.flatnonzero(keep_text)
    kept_text = text.take(distinct_kept)
    kept_of = np.searchsorted(distinct_kept, of[docs])
    sig, lang = sig[of[docs]], lang[of[docs]]
    ids = batch.column("doc_id").take(docs).combine_chunks()
    table = pa.table({
        "doc_id": ids, "id": batch.column("id").take(docs),
        "source": batch.column("source").take(docs),
        "line": batch.column("line").take(docs), "text": kept_text.take(kept_of),
        "meta": batch.column("meta").take(docs), "raw_sha256": sha.take(raw_of[docs]),
        "lang": lang["lang"].to_arrow(), "mixed_script": lang["mixed_script"].to_arrow(),
        **{k: sig[k].to_arrow() for k in quality.SIGNALS},
        **{k: pa.array(v[docs]) for k, v in per_doc.items()},
        **{k: v.take(of[docs]) for k, v in per_text.items()},
    })
    if cfg.stages.normalize:
        found, keys = text_mentions(kept_text, cfg.ontology)
        ments = for_documents(found, ids, kept_of)
    else:
        found, ments, keys = None, MENTIONS_SCHEMA.empty_table(), _native.exact_keys(kept_text)
    if cfg.stages.tag:
        meta = table.column("meta").combine_chunks()
        given = tag.stated(meta, tag.DOC_TYPE_FIELDS)
        table = table.append_column("doc_type",
                                    tag.doc_types(kept_text, given, kept_of).to_arrow())
        if found is not None:  # per distinct text, as its mentions are
            texts = pa.array(np.arange(len(kept_text)), found.column("doc").type)
            specialty = tag.specialties(texts, found, cfg.ontology, key="doc").gather(kept_of)
        else:
            specialty = pl.Series("specialty", [None] * len(ids), pl.Utf8)
        table = table.append_column("specialty", specialty.to_arrow())
        dates = tag.stated(meta, tag.DATE_FIELDS)
        table = table.append_column("year",
                                    tag.years(raw_distinct, dates, raw_of[docs]).to_arrow())
        table = table.append_column("region", tag.regions(meta).to_arrow())
    d = cfg.dedup
    flat = _native.minhash_signatures(kept_text, d.num_perm, d.ngram, d.seed)
    # rows gathered in numpy: Arrow's take on a fixed-size list is ten times slower
    rows = flat.to_numpy().reshape(-1, d.num_perm)[kept_of]
    sigs = pa.table({
        "doc_id": ids,
        "exact_key": keys.take(kept_of),
        "minhash": pa.FixedSizeListArray.from_arrays(pa.array(rows.ravel()), d.num_perm),
    })
    return table, ments, sigs, concept_counts(found, ments), rejects


def _distinct(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The distinct texts (first-seen order) and, for each row, the index of its text: one
    hashing pass (dictionary encoding), where `unique` then `index_in` took two."""
    enc = pc.dictionary_encode(text, null_encoding="encode")
    return enc.dictionary, enc.indices.to_numpy()
