"""Token shards for pretraining: the catalog's selected documents tokenized (HF tokenizers, in
Rust, a batch at a time), each followed by EOS, packed into rows of `seq_len` tokens.

A document goes to validation when a hash of its ID falls in the validation share, so the split
is by document, stable, and the same for any batch size. Output (written atomically; the same
bytes for the same inputs):

    out/manifest.json          seq_len, vocab, splits with their shards, rows, tokens, checksums
    out/tokenizer/             a copy of the tokenizer (training reads its vocabulary from here)
    out/train-00000.npy ...    uint16 (uint32 for vocabularies over 65,536) arrays [rows, seq_len]
    out/validation-00000.npy
    out/sft.jsonl, out/preferences.jsonl   validated fine-tuning data, when given
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import orjson

from modelbuild import datasets
from modelbuild.selection import documents
from modelbuild.tokenizer import eos_token, load
from ontology.io import atomic_path

MANIFEST = "manifest.json"
SPLITS = ("train", "validation")


def is_validation(doc_id: str, fraction: float) -> bool:
    h = int.from_bytes(hashlib.blake2b(doc_id.encode(), digest_size=8).digest(), "little")
    return h % 1_000_000 < fraction * 1_000_000


class _Packer:
    """Concatenates documents' tokens and cuts rows of `seq_len`; full shards go to disk."""

    def __init__(self, out: Path, split: str, seq_len: int, dtype, rows_per_shard: int):
        self.out, self.split, self.seq_len, self.dtype = out, split, seq_len, dtype
        self.rows_per_shard = rows_per_shard
        self.buf: list[np.ndarray] = []
        self.buffered = 0
        self.shards: list[dict] = []
        self.documents = 0
        self.tokens = 0

    def add(self, ids: list[int]) -> None:
        self.documents += 1
        self.tokens += len(ids)
        self.buf.append(np.asarray(ids, dtype=self.dtype))
        self.buffered += len(ids)
        if self.buffered >= self.seq_len * self.rows_per_shard:
            self._flush(final=False)

    def _flush(self, final: bool) -> None:
        flat = np.concatenate(self.buf) if self.buf else np.zeros(0, self.dtype)
        n = len(flat) // self.seq_len if final else self.rows_per_shard
        if n == 0:
            self.buf, self.buffered = ([flat] if len(flat) else []), len(flat)
            return
        rows = flat[: n * self.seq_len].reshape(n, self.seq_len)
        rest = flat[n * self.seq_len:]
        name = f"{self.split}-{len(self.shards):05d}.npy"
        with atomic_path(self.out / name) as tmp, open(tmp, "wb") as f:
            np.save(f, rows)
        self.shards.append({"file": name, "rows": n,
                            "sha256": hashlib.sha256((self.out / name).read_bytes()).hexdigest()})
        self.buf, self.buffered = ([rest] if len(rest) else []), len(rest)
        if not final and self.buffered >= self.seq_len * self.rows_per_shard:
            self._flush(final=False)

    def close(self) -> dict:
        self._flush(final=True)
        return {"documents": self.documents, "tokens": self.tokens,
                "rows": sum(s["rows"] for s in self.shards),
                "dropped_tokens": self.buffered, "shards": self.shards}


def prepare(catalog: str | Path, tokenizer: str | Path, out: str | Path, seq_len: int = 1024,
            where: str | None = None, validation: float = 0.05, rows_per_shard: int = 16384,
            sft: str | Path | None = None, preferences: str | Path | None = None) -> dict:
    if seq_len < 2:
        raise ValueError(f"--seq-len must be at least 2, got {seq_len}")
    if not 0 <= validation < 1:
        raise ValueError(f"the validation share must be in [0, 1), got {validation}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # fine-tuning data first: a bad row stops the run before the long part
    tuned = {name: datasets.read(path, kind) for name, path, kind in
             (("sft", sft, "sft"), ("preferences", preferences, "preference")) if path}
    tok = load(tokenizer)
    eos = tok.token_to_id(eos_token(tokenizer))
    vocab = tok.get_vocab_size()
    dtype = np.uint16 if vocab <= 1 << 16 else np.uint32
    for old in out.glob("*-[0-9][0-9][0-9][0-9][0-9].npy"):
        old.unlink()  # shards of an earlier run at this path
    packers = {s: _Packer(out, s, seq_len, dtype, rows_per_shard) for s in SPLITS}
    for batch in documents(catalog, where):
        ids = batch.column("doc_id").to_pylist()
        texts = batch.column("text").to_pylist()
        keep = [i for i, t in enumerate(texts) if t]
        enc = tok.encode_batch([texts[i] for i in keep], add_special_tokens=False)
        for i, e in zip(keep, enc, strict=True):
            split = "validation" if is_validation(ids[i], validation) else "train"
            packers[split].add(e.ids + [eos])
    splits = {s: p.close() for s, p in packers.items()}
    if splits["train"]["rows"] == 0:
        raise ValueError(f"{catalog}: the selection gives {splits['train']['tokens']} training "
                         f"tokens, fewer than one sequence of {seq_len} (where: {where!r})")
    for name, rows in tuned.items():
        datasets.write(rows, out / f"{name}.jsonl")
    shutil.copytree(Path(tokenizer) if Path(tokenizer).is_dir() else Path(tokenizer).parent,
                    out / "tokenizer", dirs_exist_ok=True)
    manifest = {"seq_len": seq_len, "vocab_size": vocab, "eos_id": eos,
                "dtype": np.dtype(dtype).name, "catalog": str(Path(catalog).resolve()),
                "where": where, "validation_share": validation, "splits": splits,
                "fine_tuning": {name: len(rows) for name, rows in tuned.items()}}
    with atomic_path(out / MANIFEST) as tmp:
        tmp.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return manifest


def load_split(data: str | Path, split: str) -> np.ndarray:
    """The rows of a split as one array (memory-mapped shards, concatenated)."""
    data = Path(data)
    man = manifest(data)
    parts = [np.load(data / s["file"], mmap_mode="r") for s in man["splits"][split]["shards"]]
    if not parts:
        return np.zeros((0, man["seq_len"]), dtype=man["dtype"])
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def manifest(data: str | Path) -> dict:
    path = Path(data) / MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"{path}: no prepared data (run `termnorm model prepare` first)")
    return orjson.loads(path.read_bytes())
