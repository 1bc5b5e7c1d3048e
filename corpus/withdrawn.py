"""Records a later input withdraws: the run-level step for sources whose ids name one record
across files (MEDLINE's PMIDs), run after the shards and before deduplication.

    table = withdrawals([(source, format, deleted_ids, docs_file), ...])   # in shard order

A record whose id a later file gives again is superseded by that newer version (by its
`revised` date where both have one: an efetch file sorts before the baseline); an id in a
later file's deletions (`DeleteCitation`) withdraws the records of earlier files. Withdrawn
documents stay in `docs` with the reason in `withdrawn`; what reads the kept set
(`dup_of IS NULL AND withdrawn IS NULL`) and deduplication leave them out.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from corpus import schema

# formats whose ids are a record's identity beyond its file
GLOBAL_IDS = ("medline",)


def withdrawals(shards: Iterable[tuple[str, str | None, Iterable[str], Path]]) -> pa.Table:
    latest: dict[str, tuple[str, str]] = {}  # id -> (doc_id, revised) of its newest version
    out: dict[str, str] = {}
    for source, fmt, deleted, docs in shards:
        if fmt not in GLOBAL_IDS:
            continue
        for id in deleted:  # the file's deletions apply to the files before it
            if id in latest:
                out[latest.pop(id)[0]] = f"deleted by {source}"
        rows = pq.read_table(docs, columns=["doc_id", "id", "meta"]).to_pylist()
        for row in rows:
            id, doc_id = row["id"], row["doc_id"]
            if id is None:
                continue
            revised = str(orjson.loads(row["meta"] or "{}").get("revised") or "")
            if id in latest:
                old_id, old_revised = latest[id]
                # the later revision wins; the later file where they do not say
                if revised and old_revised and revised < old_revised:
                    out[doc_id] = f"superseded by {old_id}"
                    continue
                out[old_id] = f"superseded by {doc_id}"
            latest[id] = (doc_id, revised)
    return pa.table({"doc_id": list(out), "withdrawn": list(out.values())}, schema=schema.WITHDRAWN)
