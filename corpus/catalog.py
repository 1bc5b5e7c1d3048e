"""The catalog: `catalog.duckdb` in a run's output folder, views over its Parquet files.

Views: `docs` (the standardized documents with `dup_cluster` and `dup_of` from the duplicates,
`withdrawn` from a later file's version or deletion), `mentions`, `doc_concepts` (the concepts a
source assigned: MEDLINE's MeSH headings), `concept_counts` (per shard and batch: each concept's name, mentions and affirmed
mentions; sum over rows), `duplicates`, `rejects`, `shards`, `runs`, and, when the run had a
terminology, `concepts`, `synonyms` and `relations`.

    con = connect("out")                       # read-only DuckDB connection
    query("out", "SELECT lang, count(*) FROM docs GROUP BY lang")   # a pyarrow Table

Queries are sandboxed: the database is opened read-only, only files under the output folder
(and the terminology) can be read, nothing can be written there either (only SELECT, EXPLAIN,
DESCRIBE, SHOW and PRAGMA statements run), and the settings are locked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from itertools import count
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa

from termnorm_utils.errors import InputError
from termnorm_utils.files import atomic_path

CATALOG = "catalog.duckdb"
READ_ONLY = {"SELECT", "EXPLAIN", "PRAGMA"}
TERMINOLOGY_VIEWS = ("concepts", "synonyms", "relations")
# the concepts a source assigned to its documents (the indexers' MeSH headings of MEDLINE),
# beside the mentions the engine found
DOC_CONCEPTS = """SELECT doc_id, 'MESH:' || h.ui AS concept_id, h.heading AS name, h.major,
  'mesh_heading' AS origin
FROM (SELECT doc_id, unnest(from_json(json_extract(meta, '$.mesh'),
        '[{"ui": "VARCHAR", "heading": "VARCHAR", "major": "BOOLEAN"}]')) AS h
      FROM docs WHERE meta LIKE '%"mesh":%')"""
NO_CONCEPTS = (
    "SELECT NULL::VARCHAR AS doc_id, NULL::VARCHAR AS concept_id, NULL::VARCHAR AS "
    "name, NULL::BOOLEAN AS major, NULL::VARCHAR AS origin WHERE false"
)
_builds = count()  # names the catalogs attached at once apart


def _shard_names(out: Path) -> list[str]:
    return sorted(orjson.loads((out / "manifest.json").read_bytes())["shards"])


def _sql_list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def _quote(path: Path) -> str:
    return "'" + str(path.resolve()).replace("'", "''") + "'"


@lru_cache(maxsize=1)
def _host() -> duckdb.DuckDBPyConnection:
    """An in-memory database that new catalogs are attached to while they are written: starting
    a DuckDB database costs ~30 ms of CPU, attaching a new file to a running one ~2 ms."""
    return duckdb.connect()


@contextmanager
def building(
    out: str | Path, ontology: str | Path | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """(Re)write `catalog.duckdb` for the run in `out`, handing over a connection to the new
    catalog before it is closed and put in place (atomic replace): the run report is drawn
    from it, since opening the file again costs as much as a query."""
    out = Path(out)
    with atomic_path(out / CATALOG) as tmp:
        con = _host().cursor()  # a connection of its own: its own USE
        alias = f"catalog_{next(_builds)}"
        con.execute(f"ATTACH {_quote(tmp)} AS {alias}")
        try:
            con.execute(f"USE {alias}")
            names = _shard_names(out)
            for kind in ("docs", "mentions", "rejects", "concept_counts"):
                files = [str((out / kind / f"{n}.parquet").resolve()) for n in names]
                src = f"read_parquet({_sql_list(files)}, union_by_name = true)"
                if not files:
                    body = "SELECT NULL::VARCHAR AS doc_id WHERE false"
                elif kind == "docs":
                    dups = _quote(out / "duplicates.parquet")
                    gone = out / "withdrawn.parquet"
                    body = (
                        f"SELECT d.*, x.dup_cluster, x.dup_of, w.withdrawn FROM {src} d "
                        f"LEFT JOIN read_parquet({dups}) x USING (doc_id) "
                        + (
                            f"LEFT JOIN read_parquet({_quote(gone)}) w USING (doc_id)"
                            if gone.exists()
                            else "LEFT JOIN (SELECT NULL::VARCHAR AS doc_id, NULL::VARCHAR AS "
                            "withdrawn WHERE false) w USING (doc_id)"
                        )
                    )
                else:
                    body = f"SELECT * FROM {src}"
                con.execute(f"CREATE VIEW {kind} AS {body}")
            con.execute(f"CREATE VIEW doc_concepts AS {DOC_CONCEPTS if names else NO_CONCEPTS}")
            for name in ("duplicates", "shards", "runs"):
                con.execute(
                    f"CREATE VIEW {name} AS SELECT * FROM read_parquet("
                    f"{_quote(out / (name + '.parquet'))})"
                )
            if ontology:
                for name in TERMINOLOGY_VIEWS:
                    con.execute(
                        f"CREATE VIEW {name} AS SELECT * FROM read_parquet("
                        f"{_quote(Path(ontology) / (name + '.parquet'))})"
                    )
            if names:
                _check_unique(con)
            con.execute(
                "CREATE TABLE catalog_info AS SELECT ? AS out, ? AS ontology",
                [str(out.resolve()), str(Path(ontology).resolve()) if ontology else None],
            )
            yield con
        finally:
            con.execute("USE memory")
            con.execute(f"DETACH {alias}")  # written out whole
            con.close()


def _check_unique(con: duckdb.DuckDBPyConnection) -> None:
    """Every document once: a `doc_id` twice would join its duplicates to the wrong note."""
    twice = con.execute(
        "SELECT doc_id, count(*) FROM docs GROUP BY doc_id HAVING count(*) > 1 "
        "ORDER BY doc_id LIMIT 3"
    ).fetchall()
    if twice:
        raise InputError(
            "doc_id not unique in the run's documents: "
            + ", ".join(f"{d!r} ({n} rows)" for d, n in twice)
        )


def connect(out: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the catalog of `out`, able to read only the run's files."""
    out = Path(out)
    path = out / CATALOG
    if not path.exists():
        raise FileNotFoundError(f"{path}: no catalog (run `termnorm corpus run` first)")
    con = duckdb.connect(str(path), read_only=True)
    if con.execute("SELECT current_setting('lock_configuration')").fetchone()[0]:
        # DuckDB shares one database instance among a process's connections to a file: this
        # one was opened here already (another connection still open), sandboxed and locked
        return con
    _, ontology = con.execute("SELECT out, ontology FROM catalog_info").fetchone()
    # the run's exposed outputs only: not rejects_raw/ (originals kept on request)
    root = out.resolve()
    allowed = [f"{root / kind}/" for kind in ("docs", "mentions", "rejects", "concept_counts")] + (
        [ontology.rstrip("/") + "/"] if ontology else []
    )
    con.execute("SET allowed_directories = ?", [allowed])
    tables = ("duplicates", "withdrawn", "shards", "runs")
    con.execute("SET allowed_paths = ?", [[str(root / f"{n}.parquet") for n in tables]])
    con.execute("SET enable_external_access = false")
    con.execute("SET enable_progress_bar = false")
    con.execute("SET lock_configuration = true")
    return con


def _read_only(sql: str) -> list:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as e:
        raise InputError(f"bad SQL: {str(e).splitlines()[0]}: {sql!r}") from None
    if not statements:
        raise InputError("no SQL statement given")
    for s in statements:
        if s.type.name not in READ_ONLY:
            raise PermissionError(f"the catalog is read-only: {s.type.name} statements are refused")
    return statements


def stream(out: str | Path, sql: str, batch_rows: int = 4096) -> Iterator[pa.RecordBatch]:
    """The result of one read-only SELECT over the catalog of `out`, batch by batch (for
    selections too big to hold, such as the text of a training corpus)."""
    statements = _read_only(sql)
    if len(statements) != 1:
        raise InputError(f"one SQL statement expected, got {len(statements)}: {sql!r}")
    con = connect(out)
    try:
        try:
            rel = con.sql(statements[0].query)
        except duckdb.Error as e:
            raise InputError(f"bad SQL: {str(e).splitlines()[0]}: {sql!r}") from None
        # duckdb 2 names it to_arrow_reader; 1.x has record_batch
        yield from (
            rel.to_arrow_reader(batch_rows)
            if hasattr(rel, "to_arrow_reader")
            else rel.record_batch(batch_rows)
        )
    finally:
        con.close()


def query(out: str | Path, sql: str, con: duckdb.DuckDBPyConnection | None = None) -> pa.Table:
    """The result of read-only `sql` over the catalog of `out` (on `con`, a connection from
    `connect`, when given: several queries then share one)."""
    statements = _read_only(sql)
    own = con is None
    con = connect(out) if con is None else con
    try:
        for s in statements[:-1]:
            con.execute(s).fetchall()
        rel = con.sql(statements[-1].query)
        if rel is None:
            return pa.table({})
        # duckdb 2 names it to_arrow_table; 1.x has arrow()
        return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()
    finally:
        if own:
            con.close()
