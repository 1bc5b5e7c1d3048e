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
import fnmatch
import glob
import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import as_completed
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import orjson
import pyarrow as pa

from corpus import catalog, report, schema, workers
from corpus.config import SALT_NEEDED, RunConfig
from corpus.dedup import shard_duplicates
from corpus.readers import SUFFIXES, fields_of, format_of
from corpus.shard import RAW_REJECTS, ShardResult, output_paths, process
from corpus.withdrawn import withdrawals
from corpus.writers import write_table
from termnorm_utils.errors import InputError
from termnorm_utils.files import atomic_path

MANIFEST = "manifest.json"
FORMAT = 1


@dataclass(frozen=True)
class Shard:
    name: str
    path: Path
    source: str  # the path relative to the common folder of the run's inputs
    input: str = ""  # the path as the manifest records it (a file named for a patient: not)
    format: str | None = None  # by its content (None: not known until it is read)


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
    withdrawn: int = 0  # superseded by a later file's version, or deleted by it
    not_documents: int = 0  # records set aside as no documents (FHIR resources without notes)
    # metadata fields dropped (or hashed) as identifying, and where the original text of
    # rejects went when the config asked to keep it
    meta_dropped: list[str] = field(default_factory=list)
    raw_rejects: str | None = None
    problems: list[str] = field(default_factory=list)  # see RunProblem


def plan(cfg: RunConfig) -> list[Shard]:
    """The input files of `cfg.inputs` (globs, files or folders), each once, as shards in the
    order of their paths (the first copy of a duplicate text is the one kept). A folder gives
    its files of the supported formats (and `[input] pattern`), at any depth, each a shard,
    and its `.txt` files as one more shard; hidden files are skipped."""
    paths: dict[Path, None] = {}
    for pattern in cfg.inputs:
        found = sorted(glob.glob(os.path.expanduser(pattern), recursive=True))
        if not found:
            raise FileNotFoundError(f"no input matches {pattern!r}")
        for p in map(Path, found):
            for q in _folder_inputs(p, cfg.input.pattern) if p.is_dir() else [p]:
                paths[q.resolve()] = None
    if not paths:
        raise FileNotFoundError(f"no input files of a supported format in {', '.join(cfg.inputs)}")
    # a text folder is its own root: its documents are named by their paths inside it
    root = Path(os.path.commonpath([p if p.is_dir() else p.parent for p in paths]))
    shards = []
    for p in paths:
        fmt = _format(p)
        named = p.parent / private_name(p, cfg.phi.salt) if _names_a_patient(p, fmt) else p
        shards.append(
            Shard(_shard_name(named), p, named.relative_to(root).as_posix(), str(named), fmt)
        )
    return sorted(shards, key=lambda s: (s.source, s.name))


# the file names of a FHIR bulk export (`Patient.000.ndjson`): a resource type, no person
_BULK_NAME = re.compile(r"(?:\d+\.)?[A-Z][A-Za-z]+(?:[.-]\d+)*\.ndjson(?:\.(?:gz|zst|zstd))?")


def _names_a_patient(path: Path, fmt: str | None) -> bool:
    """A FHIR file whose name may be its patient's (Synthea names a Bundle "Bob965_Keeling57_
    <patient id>.json"): its name must not reach doc IDs, output file names or the manifest."""
    return fmt == "fhir" and not _BULK_NAME.fullmatch(path.name)


def _format(path: Path) -> str | None:
    if path.is_dir():
        return "text"
    try:
        return format_of(path)
    except (OSError, ValueError):
        return None


def private_name(path: Path, salt: str) -> str:
    """A stand-in for a file name: a salted hash of it, with its suffixes
    ("fhir-1f2e3d4c5b6a.json.gz")."""
    suffixes = "".join(s for s in path.suffixes[-2:] if re.fullmatch(r"\.[A-Za-z0-9]{1,7}", s))
    digest = hashlib.sha256(f"{salt}\x00{path.name}".encode()).hexdigest()[:12]
    return f"fhir-{digest}{suffixes}"


def _recorded_inputs(cfg: RunConfig, shards: list[Shard]) -> list[str]:
    """The inputs as the manifest keeps them: a file named for its patient by its stand-in."""
    stand_in = {str(s.path): s.input for s in shards if s.input != str(s.path)}
    return [stand_in.get(str(Path(p).resolve()), p) for p in cfg.inputs]


def _folder_inputs(folder: Path, pattern: str | None) -> list[Path]:
    files = [
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and (fnmatch.fnmatch(p.name, pattern) if pattern else True)
    ]
    data = [p for p in files if _is_data(p.name)]
    text = [p for p in files if p.name.lower().endswith(".txt")]
    return sorted(data) + ([folder] if text else [])


def _is_data(name: str) -> bool:
    name = re.sub(r"\.(gz|zst|zstd)$", "", name.lower())
    return name.endswith(SUFFIXES)


def _shard_name(path: Path) -> str:
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    return f"{path.name}-{digest}"


def check_fields(shards: list[Shard], cfg: RunConfig) -> None:
    """Before any shard runs: every file has the text (and id) field in its first records, and
    patient keys (FHIR's) have a salt to be hashed with."""
    for s in shards:
        if not cfg.has_salt() and s.format == "fhir":
            raise InputError(SALT_NEEDED.format(what=f"{s.source}: FHIR notes"))
        have = fields_of(s.path, cfg.input.encoding)
        if not have:
            continue
        for role, name in (
            ("text", cfg.fields.text),
            ("id", cfg.fields.id),
            ("patient", cfg.fields.patient),
        ):
            if name and name not in have:
                raise InputError(
                    f"{s.source}: no record has the {role} field {name!r}; its "
                    f"fields are {', '.join(sorted(have))}"
                )


def _stamp(shard: Shard) -> dict:
    """What says an input is the one a done shard read: its size and time, and for a text
    folder those of its files (a file added or edited in a subfolder leaves the folder's own
    time as it was) and their names."""
    path = shard.path
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.txt") if p.is_file())
        stats = [p.stat() for p in files]
        names = hashlib.sha256(
            "\0".join(p.relative_to(path).as_posix() for p in files).encode()
        ).hexdigest()[:16]
        return {
            "input": shard.input or str(path),
            "size": sum(s.st_size for s in stats),
            "mtime_ns": max((s.st_mtime_ns for s in stats), default=0),
            "files": names,
        }
    st = path.stat()
    return {"input": shard.input or str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _options_hash(cfg: RunConfig) -> str:
    """What a shard's output depends on besides its input: the options, and the terminology's
    content (its manifest lists every source with a checksum), so a rebuilt terminology at the
    same path redoes the shards."""
    h = hashlib.sha256(orjson.dumps(cfg.shard_options(), option=orjson.OPT_SORT_KEYS))
    for rules in cfg.mentions.context_rules:  # an edited rules file redoes the shards too
        h.update(Path(rules).read_bytes())
    if cfg.ontology:
        manifest = Path(cfg.ontology) / "manifest.json"
        h.update(manifest.read_bytes() if manifest.exists() else b"")
    return h.hexdigest()[:16]


def load_manifest(out: Path) -> dict:
    path = out / MANIFEST
    if not path.exists():
        return {"format": FORMAT, "shards": {}, "runs": []}
    try:
        m = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as e:
        raise InputError(
            f"{path}: damaged run manifest ({e}); remove the folder to start over"
        ) from e
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        got = m.get("format") if isinstance(m, dict) else type(m).__name__
        raise InputError(f"{path}: manifest format {got}, expected {FORMAT}")
    return m


def _save_manifest(out: Path, manifest: dict) -> None:
    with atomic_path(out / MANIFEST) as tmp:
        tmp.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


def _is_done(entry: dict | None, shard: Shard, options: str, out: Path) -> bool:
    if not entry or entry.get("state") != "done" or entry.get("options") != options:
        return False
    if entry.get("source") != shard.source:  # the inputs' common folder moved: new doc IDs
        return False
    stamp = _stamp(shard)
    return all(entry.get(k) == v for k, v in stamp.items()) and all(
        p.exists() for p in output_paths(out, shard.name).values()
    )


def _work(shard: Shard, out: Path, cfg: RunConfig) -> ShardResult:
    try:
        return process(shard.path, shard.name, out, cfg, shard.source)
    except OSError as e:  # a full disk, a folder made read-only: say where (pyarrow does not)
        if e.filename:
            raise
        raise OSError(
            e.errno, f"writing the outputs of {shard.source}: {e.strerror or e}", str(out)
        ) from None


def run(cfg: RunConfig, on_shard: Callable[[ShardResult], None] | None = None) -> Summary:
    cfg = cfg.check()
    t0 = time.perf_counter()
    out = Path(cfg.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: the output path is a file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    on_ray = workers.ray_session(cfg.ray_address, cfg.workers) if cfg.engine == "ray" else None
    with _exclusive(out), on_ray or nullcontext():
        return _run(cfg, out, t0, on_shard)


@contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """One run per output folder at a time; what a killed run left half-written goes."""
    with open(out / ".lock", "a+b") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"{out}: another corpus run is writing here") from None
        for tmp in out.rglob(".*.tmp-*"):
            tmp.unlink()
        for scratch in out.glob(".grouping-*"):
            shutil.rmtree(scratch)
        yield


def _run(
    cfg: RunConfig, out: Path, t0: float, on_shard: Callable[[ShardResult], None] | None
) -> Summary:
    shards = plan(cfg)
    options = _options_hash(cfg)
    manifest = load_manifest(out)
    todo = [s for s in shards if not _is_done(manifest["shards"].get(s.name), s, options, out)]
    check_fields(todo, cfg)

    def finished(shard: Shard, r: ShardResult) -> None:
        manifest["shards"][shard.name] = {
            **_stamp(shard),
            "state": "done",
            "options": options,
            **asdict(r),
        }
        _save_manifest(out, manifest)
        if on_shard:
            on_shard(r)

    # the largest first, so no big shard starts last while the other workers idle
    todo.sort(key=lambda s: -_stamp(s)["size"])
    if cfg.engine == "ray":
        _on_ray(todo, out, cfg, finished)
    elif cfg.workers == 1 or len(todo) <= 1:
        for s in todo:
            finished(s, _work(s, out, cfg))
    else:
        with workers.local_pool(cfg.workers) as pool:
            futures = {pool.submit(_work, s, out, cfg): s for s in todo}
            for f in as_completed(futures):
                finished(futures[f], f.result())

    # Shards no longer among the inputs leave the manifest (their files stay until removed).
    names = {s.name for s in shards}
    manifest["shards"] = {k: v for k, v in manifest["shards"].items() if k in names}
    entries = [manifest["shards"][s.name] for s in shards]
    gone = withdrawals(
        (e["source"], e.get("format"), e.get("deleted", ()), output_paths(out, s.name)["docs"])
        for s, e in zip(shards, entries, strict=True)
    )
    write_table(gone, out / "withdrawn.parquet")
    dups = (
        shard_duplicates(
            [output_paths(out, s.name)["signatures"] for s in shards],
            cfg.dedup.threshold,
            gone.column("doc_id"),
            memory_gb=cfg.dedup.memory_gb,
            workdir=out,
            workers=cfg.workers,
            engine=cfg.engine,
        )
        if cfg.stages.dedup
        else schema.DUPLICATES.empty_table()
    )
    write_table(dups, out / "duplicates.parquet")
    summary = Summary(
        shards=len(shards),
        skipped=len(shards) - len(todo),
        records=sum(e["records"] for e in entries),
        docs=sum(e["docs"] for e in entries),
        duplicates=dups.num_rows - dups.column("dup_of").null_count,
        withdrawn=gone.num_rows,
        not_documents=sum(e.get("skipped", 0) for e in entries),
        rejects=sum(e["rejects"] for e in entries),
        mentions=sum(e["mentions"] for e in entries),
        bytes_in=sum(e["bytes_in"] for e in entries),
        seconds=time.perf_counter() - t0,
        meta_dropped=sorted({f for e in entries for f in e.get("meta_dropped", ())}),
        raw_rejects=(
            str(out / RAW_REJECTS) if cfg.stages.phi and cfg.phi.keep_raw_rejects else None
        ),
        problems=_problems(cfg, entries),
    )
    manifest["runs"].append(
        {
            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "workers": cfg.workers,
            "options": options,
            "config": {**cfg.to_record(), "inputs": _recorded_inputs(cfg, shards)},
            **asdict(summary),
        }
    )
    _save_manifest(out, manifest)
    _write_tables(out, shards, manifest)
    with catalog.building(out, cfg.ontology) as con:
        report.write(out, asdict(summary), con)
    if summary.problems and not cfg.allow_rejects:
        raise RunProblem(summary)
    return summary


class RunProblem(InputError):
    """A run that wrote its outputs but kept too little: every record of a file rejected, more
    than `max_reject_share` of all records, or none read at all."""

    def __init__(self, summary: Summary) -> None:
        super().__init__("; ".join(summary.problems) + " (--allow-rejects to accept such a run)")
        self.summary = summary


def _problems(cfg: RunConfig, entries: list[dict]) -> list[str]:
    found = []
    for e in entries:
        # a file that could not be read at all is its one reject, not a file of bad records
        if e["records"] > e.get("unreadable", 0) and not e["docs"]:
            found.append(
                f"{e['source']}: all {e['records']} records rejected ({e.get('reject_reason')})"
            )
    records = sum(e["records"] for e in entries)
    rejects = sum(e["rejects"] for e in entries)
    if not records:
        found.append("no records read from any input")
    elif rejects > cfg.max_reject_share * records:
        found.append(
            f"{rejects} of {records} records rejected, over max_reject_share = "
            f"{cfg.max_reject_share}"
        )
    return found


def _work_on_ray(shard: Shard, out: Path, cfg: RunConfig) -> ShardResult:
    """`_work` as a Ray task: the result says which node did it."""
    import ray

    return replace(_work(shard, out, cfg), node=ray.get_runtime_context().get_node_id())


def _on_ray(
    todo: list[Shard], out: Path, cfg: RunConfig, finished: Callable[[Shard, ShardResult], None]
) -> None:
    """Shards as Ray tasks, one whole shard each (the same unit and output as the local pool,
    so resume and determinism hold). The output folder must be one all nodes see."""
    ray = workers.ray()
    task = ray.remote(_work_on_ray)
    pending = {task.remote(s, out, cfg): s for s in todo}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            finished(pending.pop(ref), ray.get(ref))


def _write_tables(out: Path, shards: list[Shard], manifest: dict) -> None:
    """`shards.parquet` and `runs.parquet`: the manifest as tables for the catalog."""
    schema = pa.schema(
        [
            ("shard", pa.string()),
            ("input", pa.string()),
            ("source", pa.string()),
            ("format", pa.string()),
            ("encoding", pa.string()),
            ("size", pa.int64()),
            ("state", pa.string()),
            ("records", pa.int64()),
            ("docs", pa.int64()),
            ("rejects", pa.int64()),
            ("skipped", pa.int64()),
            ("mentions", pa.int64()),
        ]
    )
    rows = [
        {"shard": s.name, **{k: manifest["shards"][s.name].get(k) for k in schema.names[1:]}}
        for s in shards
    ]
    write_table(pa.Table.from_pylist(rows, schema=schema), out / "shards.parquet")
    runs = [
        {
            k: r[k]
            for k in (
                "finished",
                "workers",
                "shards",
                "skipped",
                "records",
                "docs",
                "duplicates",
                "rejects",
                "mentions",
                "bytes_in",
                "seconds",
            )
        }
        for r in manifest["runs"]
    ]
    write_table(pa.Table.from_pylist(runs), out / "runs.parquet")
