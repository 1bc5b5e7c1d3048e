"""A corpus run: input files (shards) through `corpus.shard.process` on a pool of workers, then
duplicates across all shards, then the catalog.

    summary = run(RunConfig(inputs=("raw/*.jsonl.gz",), out="out", ontology="terminology"))

Resumable: `manifest.json` records each finished shard with its input's size and modification
time and a hash of the options its output depends on; a rerun skips shards that match and redoes
the rest (a shard killed mid-write left only temporary files, which are not outputs). The
manifest itself is replaced atomically after every shard. Deterministic: shards are named after
their input file, processed independently, and gathered in name order, so 1 or N workers write
the same bytes.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

import orjson
import pyarrow as pa

from corpus import catalog, report
from corpus.config import RunConfig
from corpus.dedup import DUPLICATES_SCHEMA, shard_duplicates
from corpus.shard import RAW_REJECTS, ShardResult, output_paths, process
from corpus.writers import write_table
from ontology.io import atomic_path

MANIFEST = "manifest.json"
FORMAT = 1


@dataclass(frozen=True)
class Shard:
    name: str
    path: Path


@dataclass
class Summary:
    shards: int
    skipped: int
    records: int
    docs: int
    duplicates: int
    rejects: int
    mentions: int
    bytes_in: int
    seconds: float
    # metadata fields dropped (or hashed) as identifying, and where the original text of
    # rejects went when the config asked to keep it
    meta_dropped: list[str] = field(default_factory=list)
    raw_rejects: str | None = None


def plan(cfg: RunConfig) -> list[Shard]:
    """The input files of `cfg.inputs` (globs), each once, as shards in name order."""
    paths: dict[Path, None] = {}
    for pattern in cfg.inputs:
        found = sorted(glob.glob(os.path.expanduser(pattern), recursive=True))
        if not found:
            raise FileNotFoundError(f"no input matches {pattern!r}")
        for p in found:
            paths[Path(p).resolve()] = None
    shards = [Shard(_shard_name(p), p) for p in paths]
    return sorted(shards, key=lambda s: s.name)


def _shard_name(path: Path) -> str:
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    return f"{path.name}-{digest}"


def _stamp(path: Path) -> dict:
    st = path.stat()
    return {"input": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _options_hash(cfg: RunConfig) -> str:
    """What a shard's output depends on besides its input: the options, and the terminology's
    content (its manifest lists every source with a checksum), so a rebuilt terminology at the
    same path redoes the shards."""
    h = hashlib.sha256(orjson.dumps(cfg.shard_options(), option=orjson.OPT_SORT_KEYS))
    if cfg.ontology:
        manifest = Path(cfg.ontology) / "manifest.json"
        h.update(manifest.read_bytes() if manifest.exists() else b"")
    return h.hexdigest()[:16]


def load_manifest(out: Path) -> dict:
    path = out / MANIFEST
    if not path.exists():
        return {"format": FORMAT, "shards": {}, "runs": []}
    m = orjson.loads(path.read_bytes())
    if m.get("format") != FORMAT:
        raise ValueError(f"{path}: manifest format {m.get('format')}, expected {FORMAT}")
    return m


def _save_manifest(out: Path, manifest: dict) -> None:
    with atomic_path(out / MANIFEST) as tmp:
        tmp.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


def _is_done(entry: dict | None, shard: Shard, options: str, out: Path) -> bool:
    if not entry or entry.get("state") != "done" or entry.get("options") != options:
        return False
    stamp = _stamp(shard.path)
    return (all(entry.get(k) == v for k, v in stamp.items())
            and all(p.exists() for p in output_paths(out, shard.name).values()))


def _work(shard: Shard, out: Path, cfg: RunConfig) -> ShardResult:
    return process(shard.path, shard.name, out, cfg)


def run(cfg: RunConfig, on_shard: Callable[[ShardResult], None] | None = None) -> Summary:
    cfg = cfg.check()
    t0 = time.perf_counter()
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    with _exclusive(out):
        return _run(cfg, out, t0, on_shard)


@contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """One run per output folder at a time; what a killed run left half-written goes."""
    with open(out / ".lock", "a+b") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ValueError(f"{out}: another corpus run is writing here") from None
        for tmp in out.rglob(".*.tmp-*"):
            tmp.unlink()
        yield


def _run(cfg: RunConfig, out: Path, t0: float,
         on_shard: Callable[[ShardResult], None] | None) -> Summary:
    shards = plan(cfg)
    options = _options_hash(cfg)
    manifest = load_manifest(out)
    todo = [s for s in shards if not _is_done(manifest["shards"].get(s.name), s, options, out)]

    def finished(shard: Shard, r: ShardResult) -> None:
        manifest["shards"][shard.name] = {**_stamp(shard.path), "state": "done",
                                          "options": options, **asdict(r)}
        _save_manifest(out, manifest)
        if on_shard:
            on_shard(r)

    if cfg.engine == "ray":
        _on_ray(todo, out, cfg, finished)
    elif cfg.workers == 1 or len(todo) <= 1:
        for s in todo:
            finished(s, _work(s, out, cfg))
    else:
        with ProcessPoolExecutor(cfg.workers, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(_work, s, out, cfg): s for s in todo}
            for f in as_completed(futures):
                finished(futures[f], f.result())

    # Shards no longer among the inputs leave the manifest (their files stay until removed).
    names = {s.name for s in shards}
    manifest["shards"] = {k: v for k, v in manifest["shards"].items() if k in names}
    dups = (shard_duplicates([output_paths(out, s.name)["signatures"] for s in shards],
                             cfg.dedup.threshold) if cfg.stages.dedup
            else DUPLICATES_SCHEMA.empty_table())
    write_table(dups, out / "duplicates.parquet")
    entries = [manifest["shards"][s.name] for s in shards]
    summary = Summary(
        shards=len(shards), skipped=len(shards) - len(todo),
        records=sum(e["records"] for e in entries), docs=sum(e["docs"] for e in entries),
        duplicates=dups.num_rows - dups.column("dup_of").null_count,
        rejects=sum(e["rejects"] for e in entries), mentions=sum(e["mentions"] for e in entries),
        bytes_in=sum(e["bytes_in"] for e in entries), seconds=time.perf_counter() - t0,
        meta_dropped=sorted({f for e in entries for f in e.get("meta_dropped", ())}),
        raw_rejects=(str(out / RAW_REJECTS) if cfg.stages.phi and cfg.phi.keep_raw_rejects
                     else None))
    manifest["runs"].append({"finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                             "workers": cfg.workers, "options": options,
                             "config": cfg.to_record(), **asdict(summary)})
    _save_manifest(out, manifest)
    _write_tables(out, shards, manifest)
    with catalog.building(out, cfg.ontology) as con:
        report.write(out, asdict(summary), con)
    return summary


def _on_ray(todo: list[Shard], out: Path, cfg: RunConfig,
            finished: Callable[[Shard, ShardResult], None]) -> None:
    """Shards as Ray tasks, one whole shard each (the same unit and output as the local pool,
    so resume and determinism hold): on the cluster at `cfg.ray_address`, or a local Ray with
    `cfg.workers` CPUs. The output folder must be one all nodes see."""
    try:
        import ray
    except ImportError:
        raise ValueError("--engine ray needs Ray: pip install 'termnorm[ray]'") from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=cfg.ray_address, num_cpus=None if cfg.ray_address else cfg.workers,
                 include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        task = ray.remote(_work)
        pending = {task.remote(s, out, cfg): s for s in todo}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                finished(pending.pop(ref), ray.get(ref))
    finally:
        if started:
            ray.shutdown()


def _write_tables(out: Path, shards: list[Shard], manifest: dict) -> None:
    """`shards.parquet` and `runs.parquet`: the manifest as tables for the catalog."""
    rows = [{"shard": s.name, **{k: manifest["shards"][s.name][k] for k in
             ("input", "size", "state", "records", "docs", "rejects", "mentions")}}
            for s in shards]
    write_table(pa.Table.from_pylist(rows, schema=pa.schema([
        ("shard", pa.string()), ("input", pa.string()), ("size", pa.int64()),
        ("state", pa.string()), ("records", pa.int64()), ("docs", pa.int64()),
        ("rejects", pa.int64()), ("mentions", pa.int64())])), out / "shards.parquet")
    runs = [{k: r[k] for k in ("finished", "workers", "shards", "skipped", "records", "docs",
                               "duplicates", "rejects", "mentions", "bytes_in", "seconds")}
            for r in manifest["runs"]]
    write_table(pa.Table.from_pylist(runs), out / "runs.parquet")
