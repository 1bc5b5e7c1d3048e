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
from modelbuild.tokenizer import META, TOKENIZER_FILES, eos_token, load
from termnorm_utils.errors import InputError
from termnorm_utils.files import atomic_path

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
        rest = flat[n * self.seq_len :]
        name = f"{self.split}-{len(self.shards):05d}.npy"
        with atomic_path(self.out / name) as tmp, open(tmp, "wb") as f:
            np.save(f, rows)
        self.shards.append(
            {
                "file": name,
                "rows": n,
                "sha256": hashlib.sha256((self.out / name).read_bytes()).hexdigest(),
            }
        )
        self.buf, self.buffered = ([rest] if len(rest) else []), len(rest)
        if not final and self.buffered >= self.seq_len * self.rows_per_shard:
            self._flush(final=False)

    def close(self) -> dict:
        self._flush(final=True)
        return {
            "documents": self.documents,
            "tokens": self.tokens,
            "rows": sum(s["rows"] for s in self.shards),
            "dropped_tokens": self.buffered,
            "shards": self.shards,
        }


def prepare(
    catalog: str | Path,
    tokenizer: str | Path,
    out: str | Path,
    seq_len: int = 1024,
    where: str | None = None,
    validation: float = 0.05,
    rows_per_shard: int = 16384,
    sft: str | Path | None = None,
    preferences: str | Path | None = None,
) -> dict:
    if seq_len < 2:
        raise InputError(f"--seq-len must be at least 2, got {seq_len}")
    if not 0 <= validation < 1:
        raise InputError(f"the validation share must be in [0, 1), got {validation}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # fine-tuning data first: a bad row stops the run before the long part
    tuned = {
        name: datasets.read(path, kind)
        for name, path, kind in (("sft", sft, "sft"), ("preferences", preferences, "preference"))
        if path
    }
    tok = load(tokenizer)
    eos = tok.token_to_id(eos_token(tokenizer))
    if eos is None:
        raise InputError(
            f"{tokenizer}: its eos_token {eos_token(tokenizer)!r} is not in the vocabulary"
        )
    vocab = tok.get_vocab_size()
    dtype = np.uint16 if vocab <= 1 << 16 else np.uint32
    for old in out.glob("*-[0-9][0-9][0-9][0-9][0-9].npy"):
        old.unlink()  # shards of an earlier run at this path
    packers = {s: _Packer(out, s, seq_len, dtype, rows_per_shard) for s in SPLITS}
    # one patient's notes all on one side of the split: by the patient's key, else the doc's
    for batch in documents(catalog, where, "coalesce(patient, doc_id) AS split_key, text"):
        ids = batch.column("split_key").to_pylist()
        texts = batch.column("text").to_pylist()
        keep = [i for i, t in enumerate(texts) if t]
        enc = tok.encode_batch([texts[i] for i in keep], add_special_tokens=False)
        for i, e in zip(keep, enc, strict=True):
            split = "validation" if is_validation(ids[i], validation) else "train"
            packers[split].add(e.ids + [eos])
    splits = {s: p.close() for s, p in packers.items()}
    if splits["train"]["rows"] == 0:
        raise InputError(
            f"{catalog}: the selection gives {splits['train']['tokens']} training "
            f"tokens, fewer than one sequence of {seq_len} (where: {where!r})"
        )
    for name, rows in tuned.items():
        datasets.write(rows, out / f"{name}.jsonl")
    copy_tokenizer(tokenizer, out / "tokenizer")
    manifest = {
        "seq_len": seq_len,
        "vocab_size": vocab,
        "eos_id": eos,
        "dtype": np.dtype(dtype).name,
        "catalog": str(Path(catalog).resolve()),
        "where": where,
        "validation_share": validation,
        "splits": splits,
        "fine_tuning": {name: len(rows) for name, rows in tuned.items()},
    }
    with atomic_path(out / MANIFEST) as tmp:
        tmp.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return manifest


def copy_tokenizer(src: str | Path, dst: Path) -> None:
    """The tokenizer's own files (not a checkpoint's weights beside them) into a fresh `dst`."""
    src = Path(src)
    files = (
        [src] if src.is_file() else [src / n for n in ("tokenizer.json", META, *TOKENIZER_FILES)]
    )
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    for f in files:
        if f.is_file():
            shutil.copy2(f, dst / f.name)


class Rows:
    """The rows of several memory-mapped shards as one sequence, read only where indexed
    (concatenating would load a whole training set into every process)."""

    def __init__(self, parts: list[np.ndarray], seq_len: int):
        self.parts = parts
        self.ends = np.cumsum([len(p) for p in parts])
        self.shape = (int(self.ends[-1]) if parts else 0, seq_len)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, idx) -> np.ndarray:
        if isinstance(idx, slice):
            idx = np.arange(*idx.indices(len(self)))
        idx = np.asarray(idx, dtype=np.int64)
        out = np.empty((len(idx), self.shape[1]), dtype=self.parts[0].dtype)
        shard = np.searchsorted(self.ends, idx, side="right")
        for s in np.unique(shard):
            sel = shard == s
            start = self.ends[s - 1] if s else 0
            out[sel] = self.parts[s][idx[sel] - start]
        return out


def load_split(data: str | Path, split: str) -> np.ndarray | Rows:
    """The rows of a split: one memory-mapped shard, or several seen as one."""
    data = Path(data)
    man = manifest(data)
    parts = [np.load(data / s["file"], mmap_mode="r") for s in man["splits"][split]["shards"]]
    if not parts:
        return np.zeros((0, man["seq_len"]), dtype=man["dtype"])
    return parts[0] if len(parts) == 1 else Rows(parts, man["seq_len"])


def manifest(data: str | Path) -> dict:
    path = Path(data) / MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"{path}: no prepared data (run `termnorm model prepare` first)")
    return orjson.loads(path.read_bytes())
