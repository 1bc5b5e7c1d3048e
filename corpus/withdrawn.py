"""Records a later input withdraws: the run-level step for sources whose ids name one record
across files (MEDLINE's PMIDs), run after the shards and before deduplication.

    table = withdrawals([(source, format, deleted_ids, docs_file), ...])   # in shard order

A record whose id a later file gives again is superseded by that newer version; an id in a
later file's deletions (`DeleteCitation`) withdraws the records of earlier files. Withdrawn
documents stay in `docs` with the reason in `withdrawn`; what reads the kept set
(`dup_of IS NULL AND withdrawn IS NULL`) and deduplication leave them out.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpus import schema

# formats whose ids are a record's identity beyond its file
GLOBAL_IDS = ("medline",)


def withdrawals(shards: Iterable[tuple[str, str | None, Iterable[str], Path]]) -> pa.Table:
    latest: dict[str, str] = {}  # id -> doc_id of its newest version so far
    out: dict[str, str] = {}
    for source, fmt, deleted, docs in shards:
        if fmt not in GLOBAL_IDS:
            continue
        for id in deleted:  # the file's deletions apply to the files before it
            if id in latest:
                out[latest.pop(id)] = f"deleted by {source}"
        ids = pq.read_table(docs, columns=["doc_id", "id"])
        for doc_id, id in zip(ids.column("doc_id").to_pylist(), ids.column("id").to_pylist(),
                              strict=True):
            if id is None:
                continue
            if id in latest:
                out[latest[id]] = f"superseded by {doc_id}"
            latest[id] = doc_id
    return pa.table({"doc_id": list(out), "withdrawn": list(out.values())},
                    schema=schema.WITHDRAWN)
