"""Pretraining throughput of `termnorm model pretrain` on one GPU: a ~1B-parameter LLaMA config
(Llama-3.2-1B's shape with a 32k vocabulary), bf16 autocast, per-block torch.compile, a fixed
number of steps on random tokens in the prepared-shard format. Prints tokens/s and MFU against
the chip's dense bf16 peak (H100 SXM: 989 TFLOPS); the goal is >= 40% on an H100 (torchtitan
reports 33-39% for Llama 3.1 8B without float8).

    python bench/gpu_pretrain.py                 # on the GPU machine
    python bench/gpu_pretrain.py --tiny --steps 6   # a CPU smoke run of the same code path

The first window (compilation, warmup) is left out of the figure.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import orjson

from modelbuild.config import ModelYaml
from modelbuild.pretrain import pretrain

ONE_B = {
    "hidden_size": 2048,
    "intermediate_size": 8192,
    "num_hidden_layers": 16,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "rope_theta": 500000.0,
    "tie_word_embeddings": True,
}
TINY = {
    "hidden_size": 64,
    "intermediate_size": 172,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
}


def fake_data(root: Path, vocab: int, seq_len: int, rows: int) -> Path:
    """Random tokens in `model prepare`'s layout (the tokenizer folder is not needed here)."""
    rng = np.random.default_rng(0)
    np.save(root / "train-00000.npy", rng.integers(1, vocab, (rows, seq_len), dtype=np.uint16))
    np.save(root / "validation-00000.npy", rng.integers(1, vocab, (8, seq_len), dtype=np.uint16))
    split = {"documents": rows, "tokens": rows * seq_len, "dropped_tokens": 0}
    man = {
        "seq_len": seq_len,
        "vocab_size": vocab,
        "eos_id": 0,
        "dtype": "uint16",
        "catalog": None,
        "where": None,
        "validation_share": 0.0,
        "splits": {
            "train": {**split, "rows": rows, "shards": [{"file": "train-00000.npy", "rows": rows}]},
            "validation": {
                **split,
                "rows": 8,
                "shards": [{"file": "validation-00000.npy", "rows": 8}],
            },
        },
    }
    (root / "manifest.json").write_bytes(orjson.dumps(man))
    (root / "tokenizer").mkdir()
    return root


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--seq-len", type=int, default=2048)
    ap.add_argument("--micro-batch", type=int, default=8)
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--checkpointing", action="store_true")
    ap.add_argument("--tiny", action="store_true")
    a = ap.parse_args()
    seq = 64 if a.tiny else a.seq_len
    log_every = max(1, a.steps // 3)
    cfg = ModelYaml.from_dict(
        {
            "model": TINY if a.tiny else ONE_B,
            "train": {
                "steps": a.steps,
                "micro_batch_size": a.micro_batch,
                "lr": 3e-4,
                "warmup_steps": 5,
                "log_every": log_every,
                "eval_batches": 1,
                "compile": not a.no_compile,
                "gradient_checkpointing": a.checkpointing,
            },
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        data = fake_data(Path(tmp), 32000, seq, a.micro_batch * a.steps)
        res = pretrain(cfg, data, Path(tmp) / "out")
        hist = orjson.loads((Path(tmp) / "out" / "metrics.json").read_bytes())
    steady = hist["history"][1:] or hist["history"]
    tps = sum(r["tokens_per_s"] for r in steady) / len(steady)
    mfu = [r["mfu"] for r in steady if r["mfu"] is not None]
    import torch

    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    print(
        f"device {device}; params {res['flops_per_token'] / 6 / 1e9:.2f}B-equivalent "
        f"(flops/token {res['flops_per_token']:.3e}); seq {seq}, micro-batch {a.micro_batch}, "
        f"{a.steps} steps, compile {not a.no_compile}"
    )
    print(
        f"tokens/s {tps:,.0f}; MFU "
        + (f"{100 * sum(mfu) / len(mfu):.1f}% of dense bf16 peak" if mfu else "n/a (no GPU)")
    )


if __name__ == "__main__":
    main()
