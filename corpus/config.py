"""Options of a corpus run: one schema (pydantic models, each field's type, default and help in
one place) read from flags or a TOML / YAML file; flags given on the command line win, and
`termnorm corpus config --template` prints the schema as a commented TOML file.

    inputs = ["raw/*.jsonl.gz"]
    out = "corpus-out"
    ontology = "terminology"
    workers = 2
    [fields]
    id = "note_id"
    text = "transcription"
    [stages]
    phi = true
    [quality]
    min_chars = 20
    [dedup]
    threshold = 0.8

Every value is checked when the config is made, before any shard runs; an error is one line
naming the key (`run.toml: [dedup] threshold = 1.5: must be <= 1`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import tomllib
from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator

from corpus.options import Options, StrTuple
from corpus.readers import Fields
from corpus.stages.quality import QualityFilter
from corpus.workers import available_cpus
from termnorm_utils.errors import InputError


class Input(Options):
    """How input files are read."""

    encoding: str | None = None
    """The encoding of every text input, e.g. "gb18030" (default: detected per file)."""
    pattern: str | None = None
    """The file names a folder input contributes, e.g. "*.jsonl" (default: every supported
    format)."""


# options by their names before 0.2, for one release (a file's `[stages] normalize` is read
# through the field's alias)
RENAMED = {"stages.normalize": "stages.mentions"}


class Stages(Options):
    """The stages a run does."""

    clean: bool = True
    """Repair encodings, markup and whitespace; drop boilerplate lines."""
    phi: bool = True
    """De-identify the text and the metadata."""
    quality: bool = True
    """Reject documents by the quality rules."""
    mentions: bool = Field(True, validation_alias=AliasChoices("mentions", "normalize"))
    """Find concept mentions (needs an ontology). (`normalize`, its name before 0.2, still
    works for one release.)"""
    tag: bool = True
    """Document type, specialty (from the mentions), year, region."""
    dedup: bool = True
    """Exact and near duplicates across all shards."""


class MentionOptions(Options):
    """Concept mentions."""

    context_rules: StrTuple = ()
    """JSON files of negation, uncertainty, history and family triggers (medspaCy's
    context_rules.json shape), added to the built-in rules."""


class Phi(Options):
    """De-identification."""

    surrogates: bool = False
    """Realistic stand-ins, consistent within a document, instead of [TYPE] placeholders."""
    identifying: Literal["drop", "hash", "keep"] = "drop"
    """Metadata fields whose names identify a person (name, mrn, dob, phone, 姓名, ...): drop
    them, hash them (salted SHA-256, so records still join) or keep them."""
    salt: str = ""
    """The salt of `identifying = "hash"` (8 chars or more; not written to the manifest)."""
    text_fields: StrTuple = ()
    """Free-text metadata fields de-identified like the text."""
    keep_raw_rejects: bool = False
    """Keep the original text of rejected records in rejects_raw/ (the catalog does not show
    it)."""

    @model_validator(mode="after")
    def _salted(self) -> Phi:
        if self.identifying == "hash" and len(self.salt) < 8:
            raise InputError(
                'identifying = "hash" needs a salt of 8 chars or more: unsalted '
                "hashes of a birth date or phone can be reversed"
            )
        return self


class Boilerplate(Options):
    """Lines recurring in at least `min_share` of a batch's documents (and `min_docs`), of at
    least `min_chars` chars, are dropped by the clean stage."""

    enabled: bool = True
    """Drop boilerplate lines."""
    min_docs: int = Field(10, ge=1)
    """Fewest documents a line must recur in."""
    min_share: float = Field(0.01, ge=0, le=1)
    """Smallest share of a batch's documents a line must recur in."""
    min_chars: int = Field(30, ge=1)
    """Shortest line that can be boilerplate."""


class Dedup(Options):
    """Near-duplicate detection (MinHash LSH)."""

    threshold: float = Field(0.8, gt=0, le=1)
    """Estimated Jaccard similarity of word shingles at which two texts are duplicates."""
    num_perm: int = Field(128, ge=8, le=1024)
    """MinHash permutations."""
    ngram: int = Field(5, ge=1)
    """Words per shingle."""
    seed: int = Field(1, ge=0)
    """The seed of the hash permutations."""
    memory_gb: float = Field(2.0, gt=0)
    """Memory the cross-shard grouping may take per worker: beyond it, the grouping goes bucket
    by bucket on disk (in the output folder), with the same result."""


NESTED = ("input", "fields", "stages", "mentions", "quality", "phi", "boilerplate", "dedup")


SALT_NEEDED = (
    "{what}: patient keys are kept as salted hashes; give [phi] salt (8 chars or "
    "more, never written down: --set phi.salt=...) so that they cannot be reversed "
    "by hashing every MRN"
)


class RunConfig(Options):
    """A corpus run."""

    inputs: StrTuple = ()
    """Input files, folders or globs (.jsonl / .json, .parquet, .csv, .tsv, MEDLINE and JATS
    XML, FHIR NDJSON or Bundles, WARC / ARC / WET; plain or gzip/zstd; folders of them or of
    .txt files)."""
    out: str = ""
    """The output folder."""
    ontology: str | None = None
    """A built terminology (for the concept mentions)."""
    workers: int = Field(1, ge=1)
    """Worker processes ("auto": one for each CPU this process may use, within a container's
    CPU quota)."""
    engine: Literal["local", "ray"] = "local"
    """local (a process pool) or ray."""
    ray_address: str | None = None
    """With engine "ray": the cluster to join (default: start one here)."""
    batch_size: int = Field(10_000, ge=1)
    """Documents per batch (what a worker holds at once)."""
    max_reject_share: float = Field(0.5, ge=0, le=1)
    """A run that rejects more than this share of all records ends with an error (its
    outputs written), as does one that rejects every record of a file."""
    allow_rejects: bool = False
    """Accept such a run."""
    input: Input = Input()
    fields: Fields = Fields()
    stages: Stages = Stages()
    mentions: MentionOptions = MentionOptions()
    quality: QualityFilter = QualityFilter()
    phi: Phi = Phi()
    boilerplate: Boilerplate = Boilerplate()
    dedup: Dedup = Dedup()

    @field_validator("workers", mode="before")
    @classmethod
    def _auto_workers(cls, value: Any) -> Any:
        return available_cpus() if value == "auto" else value

    @model_validator(mode="before")
    @classmethod
    def _one_input(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("inputs"), str):
            data = {**data, "inputs": (data["inputs"],)}
        return data

    @classmethod
    def load(cls, path: str | Path) -> RunConfig:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"{path}: cannot read the config: {e}") from None
        try:
            if path.suffix.lower() in (".yaml", ".yml"):
                import yaml

                data = yaml.safe_load(text) or {}
            elif path.suffix.lower() == ".toml":
                data = tomllib.loads(text)
            else:
                raise InputError(f"{path}: a run config is .toml, .yaml or .yml")
        except (tomllib.TOMLDecodeError, ImportError) as e:
            raise InputError(f"{path}: not valid TOML: {e}") from None
        except Exception as e:  # yaml.YAMLError: yaml is imported only for YAML configs
            if type(e).__module__.startswith("yaml"):
                raise InputError(f"{path}: not valid YAML: {str(e).splitlines()[0]}") from None
            raise
        if not isinstance(data, dict):
            raise InputError(f"{path}: the config must be a table of options")  # noqa: TRY004
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config") -> RunConfig:
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise InputError(f"{source}: {_one_line(e)}") from None

    def with_flags(self, **flags: Any) -> RunConfig:
        """This config with the flags that were given (not None) on top, checked again."""
        given = {k: v for k, v in flags.items() if v is not None and v != ()}
        return self.with_values(given, "flags")

    def with_values(self, values: dict[str, Any], source: str = "flags") -> RunConfig:
        """This config with `values` (keys dotted for the sections: "dedup.threshold")."""
        data = self.model_dump()
        for key, value in values.items():
            *sections, name = RENAMED.get(key, key).split(".")
            target = data
            for s in sections:
                if s not in NESTED or not isinstance(target.get(s), dict):
                    raise InputError(f"{source}: unknown option {key!r}")
                target = target[s]
            target[name] = value
        return RunConfig.from_dict(data, source)

    def check(self) -> RunConfig:
        """What a run needs beyond the types: inputs, an output folder, a terminology for the
        mentions stage."""
        if not self.inputs:
            raise InputError("no inputs: give --input GLOB (or `inputs` in the config)")
        if not self.out:
            raise InputError("no output folder: give --out DIR (or `out` in the config)")
        if self.stages.mentions and not self.ontology:
            raise InputError("the mentions stage needs --ontology DIR (or stages.mentions = false)")
        for rules in self.mentions.context_rules:
            if not Path(rules).is_file():
                raise InputError(f"{rules}: no such context rules file (mentions.context_rules)")
        if self.fields.patient and not self.has_salt():
            raise InputError(SALT_NEEDED.format(what=f"[fields] patient = {self.fields.patient!r}"))
        return self

    def has_salt(self) -> bool:
        """Whether patient keys may go on as hashes: a salt, or no PHI stage to use one."""
        return not self.stages.phi or len(self.phi.salt) >= 8

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def to_record(self) -> dict[str, Any]:
        """The options as a run's manifest records them: the salt is not written down."""
        d = self.to_dict()
        if d["phi"]["salt"]:
            d["phi"]["salt"] = "(set)"
        return d

    def shard_options(self) -> dict[str, Any]:
        """What a shard's output depends on (besides its input): a change reprocesses it."""
        d = self.to_dict()
        for k in (
            "inputs",
            "out",
            "workers",
            "engine",
            "ray_address",
            "max_reject_share",
            "allow_rejects",
        ):
            d.pop(k)
        # the names a 0.1 run hashed, so a resumed run of unchanged options redoes nothing
        d["stages"]["normalize"] = d["stages"].pop("mentions")
        if not d["mentions"]["context_rules"]:
            d.pop("mentions")
        d["dedup"].pop("memory_gb")  # how the grouping runs, not what it finds
        return d


def help_of(key: str) -> str:
    """The help text of an option ("workers", "dedup.threshold")."""
    model: type[Options] = RunConfig
    *sections, name = key.split(".")
    for s in sections:
        model = model.model_fields[s].annotation  # type: ignore[assignment]
    return " ".join((model.model_fields[name].description or "").split())


def _one_line(e: ValidationError) -> str:
    err = e.errors()[0]
    loc = [str(x) for x in err["loc"]]
    if len(loc) > 1:
        where = f"[{'.'.join(loc[:-1])}] {loc[-1]}"
    elif loc:
        where = f"[{loc[0]}]" if loc[0] in NESTED else loc[0]
    else:
        where = "the config"
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, dict) or err["type"] == "missing" else f" = {got!r}"
    more = len(e.errors()) - 1
    return f"{where}{shown}: {msg}" + (f" (and {more} more)" if more else "")


def template() -> str:
    """Every option with its default and help, as a TOML file to start from."""
    lines = ["# termnorm corpus run options: `termnorm corpus run --config run.toml`", ""]
    nested = []
    for name, f in RunConfig.model_fields.items():
        if name in NESTED:
            nested.append(name)
            continue
        lines += _option(name, f.default, f.description)
    for section in nested:
        model = RunConfig.model_fields[section].annotation
        lines += ["", f"[{section}]", f"# {' '.join((model.__doc__ or '').split())}"]
        for name, f in model.model_fields.items():
            lines += _option(name, f.default, f.description)
    return "\n".join(lines) + "\n"


def _option(name: str, default: Any, help: str | None) -> list[str]:
    out = [f"# {line}" for line in _wrap(" ".join((help or "").split()))]
    if default is None:
        return [*out, f"# {name} = (not set)"]
    import json

    value = json.dumps(list(default) if isinstance(default, tuple) else default, ensure_ascii=False)
    return [*out, f"{name} = {value}"]


def _wrap(text: str, width: int = 96) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or []
