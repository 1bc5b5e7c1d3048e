"""Options of a corpus run, from flags or a TOML / YAML file (the file holds every option the
flags hold; flags given on the command line win).

    inputs = ["raw/*.jsonl.gz"]
    out = "corpus-out"
    ontology = "terminology"
    workers = 2
    [fields]
    id = "note_id"
    text = "transcription"
    [stages]
    phi = true
    normalize = true
    [quality]
    min_chars = 20
    [dedup]
    threshold = 0.8
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomllib

from corpus.readers import Fields
from corpus.stages.quality import QualityFilter


@dataclass(frozen=True)
class Stages:
    clean: bool = True
    phi: bool = True
    quality: bool = True
    normalize: bool = True  # concept mentions (needs an ontology)
    tag: bool = True  # document type, specialty (from the mentions), year, region
    dedup: bool = True


@dataclass(frozen=True)
class Phi:
    surrogates: bool = False  # realistic stand-ins, consistent within a document, not [TYPE]
    # metadata fields whose names identify a person (name, mrn, dob, phone, 姓名, ...):
    # "drop" them, "hash" them (salted SHA-256, so records still join), or "keep" them
    identifying: str = "drop"
    salt: str = ""
    # free-text metadata fields de-identified like the text
    text_fields: tuple[str, ...] = ()
    # the original text of rejected records in rejects_raw/ (which the catalog does not expose)
    keep_raw_rejects: bool = False

    def __post_init__(self) -> None:
        if self.identifying not in ("drop", "hash", "keep"):
            raise ValueError(f"[phi] identifying = {self.identifying!r}: drop, hash or keep")
        for k in ("surrogates", "keep_raw_rejects"):
            if not isinstance(getattr(self, k), bool):
                raise ValueError(f"[phi] {k} = {getattr(self, k)!r}: true or false")
        if not isinstance(self.salt, str):
            raise ValueError(f"[phi] salt = {self.salt!r}: a string")
        if self.identifying == "hash" and len(self.salt) < 8:
            raise ValueError("[phi] identifying = \"hash\" needs a salt of 8 chars or more: "
                             "unsalted hashes of a birth date or phone can be reversed")
        if isinstance(self.text_fields, str) or not all(
                isinstance(f, str) for f in self.text_fields):
            raise ValueError(f"[phi] text_fields = {self.text_fields!r}: a list of field names")
        object.__setattr__(self, "text_fields", tuple(self.text_fields))


@dataclass(frozen=True)
class Boilerplate:
    """Lines recurring in at least `min_share` of a batch's documents (and `min_docs`), of at
    least `min_chars` chars, are dropped by the clean stage."""

    enabled: bool = True
    min_docs: int = 10
    min_share: float = 0.01
    min_chars: int = 30


@dataclass(frozen=True)
class Dedup:
    threshold: float = 0.8
    num_perm: int = 128
    ngram: int = 5
    seed: int = 1


@dataclass(frozen=True)
class RunConfig:
    inputs: tuple[str, ...] = ()
    out: str = ""
    ontology: str | None = None
    workers: int = 1
    engine: str = "local"
    ray_address: str | None = None  # with engine "ray": a cluster to join (None: start one here)
    batch_size: int = 10_000
    fields: Fields = field(default_factory=Fields)
    stages: Stages = field(default_factory=Stages)
    quality: QualityFilter = field(default_factory=QualityFilter)
    phi: Phi = field(default_factory=Phi)
    boilerplate: Boilerplate = field(default_factory=Boilerplate)
    dedup: Dedup = field(default_factory=Dedup)

    @classmethod
    def load(cls, path: str | Path) -> RunConfig:
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        elif path.suffix.lower() == ".toml":
            data = tomllib.loads(text)
        else:
            raise ValueError(f"{path}: a run config is .toml, .yaml or .yml")
        if not isinstance(data, dict):
            raise ValueError(f"{path}: the config must be a table of options")  # noqa: TRY004
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config") -> RunConfig:
        nested = {"fields": Fields, "stages": Stages, "quality": QualityFilter,
                  "phi": Phi, "boilerplate": Boilerplate, "dedup": Dedup}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{source}: unknown option(s) {', '.join(unknown)}")
        kw: dict[str, Any] = {}
        for k, v in data.items():
            if k in nested:
                if not isinstance(v, dict):
                    raise ValueError(f"{source}: [{k}] must be a table")
                sub = {f.name for f in fields(nested[k])}
                bad = sorted(set(v) - sub)
                if bad:
                    raise ValueError(f"{source}: unknown option(s) in [{k}]: {', '.join(bad)}")
                kw[k] = nested[k](**v)
            elif k == "inputs":
                kw[k] = (v,) if isinstance(v, str) else tuple(v)
            else:
                kw[k] = v
        return cls(**kw)

    def with_flags(self, **flags: Any) -> RunConfig:
        """This config with the flags that were given (not None) on top."""
        given = {k: v for k, v in flags.items() if v is not None and v != ()}
        if "inputs" in given:
            given["inputs"] = tuple(given["inputs"])
        return replace(self, **given)

    def check(self) -> RunConfig:
        if not self.inputs:
            raise ValueError("no inputs: give --input GLOB (or `inputs` in the config)")
        if not self.out:
            raise ValueError("no output folder: give --out DIR (or `out` in the config)")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.engine not in ("local", "ray"):
            raise ValueError(f"unknown engine {self.engine!r}: local or ray")
        if self.stages.normalize and not self.ontology:
            raise ValueError("the normalize stage needs --ontology DIR (or stages.normalize = "
                             "false)")
        return self

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["inputs"] = list(self.inputs)
        return d

    def to_record(self) -> dict[str, Any]:
        """The options as a run's manifest records them: the salt is not written down."""
        d = self.to_dict()
        if d["phi"]["salt"]:
            d["phi"]["salt"] = "(set)"
        return d

    def shard_options(self) -> dict[str, Any]:
        """What a shard's output depends on (besides its input): a change reprocesses it."""
        d = self.to_dict()
        for k in ("inputs", "out", "workers", "engine", "ray_address"):
            d.pop(k)
        return d
