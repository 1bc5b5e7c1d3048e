"""A built terminology folder: where its files are and how to open them."""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import polars as pl

from ontology.errors import SourceError
from termnorm_utils.files import atomic_path

TABLE_FILES = ("concepts", "synonyms", "relations")
MANIFEST = "manifest.json"


def table_path(folder: str | Path, table: str) -> Path:
    return Path(folder) / f"{table}.parquet"


class Terminology:
    """A built terminology folder, opened and checked once: its manifest (read once), the
    fingerprint that names what is derived from it, its tables and its derived caches. Open it
    once per process and pass it down (to `Normalizer.load`, the lexicon, the corpus stages);
    every function here that takes a folder takes one too, and does not check it again. It is a
    path-like object (`Path(t)` is its folder). After its tables change (learned pairs), open
    it again: the handle keeps the manifest it read."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        try:
            self._manifest_bytes = (self.folder / MANIFEST).read_bytes()
        except FileNotFoundError:
            raise SourceError(
                self.folder,
                None,
                "not a built terminology (no manifest.json); run `termnorm ontology build` first",
            ) from None
        self.manifest: dict = orjson.loads(self._manifest_bytes)

    @classmethod
    def open(cls, where: str | Path | Terminology) -> Terminology:
        return where if isinstance(where, Terminology) else cls(where)

    def __fspath__(self) -> str:
        return str(self.folder)

    __str__ = __fspath__

    def __eq__(self, other: object) -> bool:  # the same folder in the same state
        if not isinstance(other, Terminology):
            return NotImplemented
        return (self.folder, self._manifest_bytes) == (other.folder, other._manifest_bytes)

    def __hash__(self) -> int:
        return hash((self.folder, self._manifest_bytes))

    def __repr__(self) -> str:
        return f"Terminology({str(self.folder)!r})"

    def __reduce__(self):  # to worker processes as its folder, opened there
        return (Terminology, (self.folder,))

    def scan(self, table: str) -> pl.LazyFrame:
        return pl.scan_parquet(table_path(self.folder, table))

    def fingerprint(self, *rules: bytes) -> str:
        """A hex digest of the manifest and `rules`: names what is derived from them."""
        h = hashlib.sha256(self._manifest_bytes)
        for r in rules:
            h.update(r)
        return h.hexdigest()

    def derived(self, name: str, version: str, build: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        """A table computed from the terminology (`build()`), kept beside its tables as
        `NAME.<fingerprint>.parquet`, the fingerprint taken over the manifest and `version`
        (which names the code's rules: change it when they change). Read back when present;
        else built and saved, atomically, where the folder is writable, replacing older
        versions: a process start reads the table instead of deriving it again."""
        folder = self.folder
        path = folder / f"{name}.{self.fingerprint(version.encode())[:16]}.parquet"
        if path.exists():
            try:
                return pl.read_parquet(path)
            except (OSError, pl.exceptions.PolarsError):
                pass  # damaged: derive afresh below
        table = build()
        if os.access(folder, os.W_OK):
            for old in folder.glob(f"{name}.*.parquet"):
                if old != path:
                    old.unlink(missing_ok=True)
            with atomic_path(path) as tmp:
                table.write_parquet(tmp)
        return table


def check_built(folder: str | Path | Terminology) -> Path:
    return Terminology.open(folder).folder


def scan(folder: str | Path | Terminology, table: str) -> pl.LazyFrame:
    return Terminology.open(folder).scan(table)


def manifest(folder: str | Path | Terminology) -> dict:
    """The manifest as the folder has it now (a handle's own copy may be older)."""
    return orjson.loads((check_built(folder) / MANIFEST).read_bytes())


def derived(
    folder: str | Path | Terminology, name: str, version: str, build: Callable[[], pl.DataFrame]
) -> pl.DataFrame:
    """`Terminology.derived` of the folder."""
    return Terminology.open(folder).derived(name, version, build)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One writer at a time per folder, across processes (a read-modify-write of votes)."""
    with open(folder / ".lock", "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def added(folder: str | Path | Terminology, key: str) -> pl.DataFrame | None:
    """The table the manifest records under `key` (see `update_table`), None if none."""
    folder = check_built(folder)
    for _ in range(3):
        entry = manifest(folder).get(key)
        if not entry:
            return None
        try:
            return pl.read_parquet(folder / entry["file"])
        except FileNotFoundError:
            continue  # replaced since the manifest was read: read the new one
    raise SourceError(folder, None, f"the table the manifest names for {key!r} keeps changing")


def update_table(
    folder: str | Path | Terminology,
    key: str,
    change: Callable[[pl.DataFrame | None, dict], tuple[pl.DataFrame, dict]],
) -> dict:
    """Replace the table recorded under `key` in the manifest by `change(current table or None,
    its entry)`, which returns the new table and what to record of it: what a terminology
    learns after its build, kept with it. One writer at a time; the manifest's atomic replace
    is the one commit (the table goes first under a name of its own digest; the one before the
    table it replaces is removed), so a crash or a concurrent reader never sees half. Returns the
    recorded entry."""
    folder = check_built(folder)
    with _locked(folder):
        man = manifest(folder)
        prior = man.get(key, {})
        current = pl.read_parquet(folder / prior["file"]) if prior else None
        table, entry = change(current, prior)
        buf = io.BytesIO()
        table.write_parquet(buf)
        digest = hashlib.sha256(buf.getvalue()).hexdigest()
        name = f"{key}-{digest[:16]}.parquet"
        with atomic_path(folder / name) as tmp:
            tmp.write_bytes(buf.getvalue())
        man[key] = {"file": name, **entry, "sha256": digest}
        with atomic_path(folder / MANIFEST) as tmp:
            tmp.write_bytes(orjson.dumps(man, option=orjson.OPT_INDENT_2))
        # the table before the one replaced goes: a reader that read the manifest just before
        # this commit still finds the one it names
        for old in folder.glob(f"{key}-*.parquet"):
            if old.name not in (name, prior.get("file")):
                old.unlink(missing_ok=True)
    return man[key]
