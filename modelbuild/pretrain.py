"""Pretraining and continued pretraining of a LLaMA-style decoder on prepared token shards.

One process per device; under torchrun the processes form a group (NCCL on GPUs, gloo on CPUs)
and the model is wrapped in DDP or sharded with FSDP2 (`train.parallel`). bf16 autocast on GPUs
(FSDP2: bf16 parameters, fp32 gradient reduction), optional per-block torch.compile and
activation checkpointing. Every `save_every` steps a full checkpoint (model, optimizer, step)
is written atomically under `out/checkpoints/`; a rerun resumes from the newest one and, as the
data order is a function of the seed and the step, continues exactly where it stopped.

Writes `out/metrics.json` (the loss curve: step, loss, lr, tokens/s, MFU, validation loss),
`out/loss.svg` and, at the end, `out/model/` (transformers' save_pretrained + the tokenizer).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import torch
import torch.distributed as dist

from modelbuild.config import ModelYaml, TrainConfig
from modelbuild.prepare import load_split, manifest
from termnorm_utils.errors import InputError
from termnorm_utils.files import atomic_dir, atomic_path

# dense bf16 peak TFLOPS per chip, by a substring of torch.cuda.get_device_name()
PEAK_BF16_TFLOPS = (
    ("H200", 989.0),
    ("H100 PCIe", 756.0),
    ("H100 NVL", 835.0),
    ("H100", 989.0),
    ("H800", 989.0),
    ("B200", 2250.0),
    ("A100", 312.0),
    ("A800", 312.0),
    ("L40S", 362.0),
    ("L40", 181.0),
    ("L4", 121.0),
    ("A10G", 70.0),
)


@dataclass
class Dist:
    rank: int
    world: int
    device: torch.device

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup() -> Dist:
    """This process's place: torchrun sets RANK, WORLD_SIZE and LOCAL_RANK."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    cuda = torch.cuda.is_available()
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    rank = dist.get_rank() if dist.is_initialized() else 0
    if cuda:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    return Dist(rank, world, device)


def build_model(cfg: ModelYaml, data: dict, init: str | Path | None = None):
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    vocab = data["vocab_size"]
    if init:
        model = AutoModelForCausalLM.from_pretrained(init, dtype=torch.float32)
        if model.get_input_embeddings().num_embeddings < vocab:
            model.resize_token_embeddings(vocab)  # the tokenizer grew: new rows, mean-initialized
        return model
    conf = LlamaConfig(
        vocab_size=vocab,
        eos_token_id=data["eos_id"],
        bos_token_id=None,
        pad_token_id=data["eos_id"],
        max_position_embeddings=cfg.model.get("max_position_embeddings", data["seq_len"]),
        **{k: v for k, v in cfg.model.items() if k != "max_position_embeddings"},
    )
    conf._attn_implementation = "sdpa"
    torch.manual_seed(cfg.train.seed)
    return LlamaForCausalLM(conf)


def flops_per_token(model, seq_len: int) -> float:
    """Training FLOPs per token (PaLM's appendix B): 6 per weight that multiplies, the output
    projection included when tied, plus attention's 12 * layers * hidden * seq_len."""
    c = model.config
    emb = model.get_input_embeddings().weight
    n = sum(p.numel() for p in model.parameters()) - emb.numel()
    if c.tie_word_embeddings:
        n += emb.numel()
    return 6 * n + 12 * c.num_hidden_layers * c.hidden_size * seq_len


def peak_flops(train: TrainConfig, device: torch.device) -> float | None:
    if train.peak_tflops:
        return train.peak_tflops * 1e12
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next(
        (t * 1e12 for key, t in PEAK_BF16_TFLOPS if re.search(rf"\b{re.escape(key)}\b", name)), None
    )


class Sampler:
    """Row `k` of the global sample stream: epoch k // n in a seeded permutation of the rows,
    so any step's batch is known without replaying the ones before it."""

    def __init__(self, rows: np.ndarray, seed: int):
        self.rows, self.seed = rows, seed
        self._perm: tuple[int, np.ndarray] | None = None

    def take(self, start: int, count: int) -> np.ndarray:
        n = len(self.rows)
        idx = np.empty(count, dtype=np.int64)
        for j, k in enumerate(range(start, start + count)):
            epoch = k // n
            if self._perm is None or self._perm[0] != epoch:
                self._perm = (epoch, np.random.default_rng([self.seed, epoch]).permutation(n))
            idx[j] = self._perm[1][k % n]
        return np.asarray(self.rows[idx], dtype=np.int64)


def lr_at(step: int, t: TrainConfig) -> float:
    """Linear warmup, then cosine down to min_lr_ratio * lr."""
    if step < t.warmup_steps:
        return t.lr * (step + 1) / t.warmup_steps
    frac = (step - t.warmup_steps) / max(1, t.steps - t.warmup_steps)
    return t.lr * (t.min_lr_ratio + (1 - t.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * frac)))


def _wrap(model, t: TrainConfig, d: Dist, bf16: bool):
    if t.gradient_checkpointing:
        model.config.use_cache = False
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if t.compile:
        for layer in model.model.layers:
            layer.compile()
    if d.world > 1 and t.parallel == "fsdp":
        from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

        mp = (
            MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32)
            if bf16
            else MixedPrecisionPolicy()
        )
        for layer in model.model.layers:
            fully_shard(layer, mp_policy=mp)
        fully_shard(model, mp_policy=mp)
        return model
    if d.world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        return DDP(model, device_ids=[d.device.index] if d.device.type == "cuda" else None)
    return model


def _checkpoints(out: Path) -> list[Path]:
    ck = out / "checkpoints"
    return (
        sorted(ck.glob("step-[0-9]*[0-9]"), key=lambda p: int(p.name.split("-")[1]))
        if ck.exists()
        else []
    )


def run_key(cfg: ModelYaml, data: dict, init: str | Path | None) -> str:
    """What a checkpoint must share with the run that resumes it: the model, the data and
    what orders it (not the step count, which a rerun may raise)."""
    t = cfg.train
    key = {
        "model": cfg.model,
        "init": str(init) if init else None,
        "seed": t.seed,
        "batch": [t.micro_batch_size, t.grad_accum],
        "data": [s.get("sha256") for sp in data["splits"].values() for s in sp["shards"]],
        "vocab": data["vocab_size"],
        "seq_len": data["seq_len"],
    }
    return hashlib.sha256(orjson.dumps(key, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def _save_checkpoint(
    out: Path, model, opt, step: int, history: list, d: Dist, keep: int, key: str
) -> None:
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict

    msd, osd = get_state_dict(
        model, opt, options=StateDictOptions(full_state_dict=True, cpu_offload=True)
    )
    if d.main:
        final = out / "checkpoints" / f"step-{step:08d}"
        with atomic_dir(final) as tmp:  # the folder appears whole or not at all
            state = {"model": msd, "optim": osd, "step": step, "history": history, "run_key": key}
            torch.save(state, tmp / "state.pt")
        for old in _checkpoints(out)[:-keep]:
            shutil.rmtree(old)
    if d.world > 1:
        dist.barrier()


def _resume(out: Path, model, opt, key: str) -> tuple[int, list]:
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_state_dict

    found = _checkpoints(out)
    if not found:
        return 0, []
    state = torch.load(found[-1] / "state.pt", map_location="cpu", weights_only=False)
    if state.get("run_key") != key:
        raise InputError(
            f"{found[-1]}: a checkpoint of another model, data or batch order; "
            f"use another --out, or remove {out / 'checkpoints'} to start over"
        )
    set_state_dict(
        model,
        opt,
        model_state_dict=state["model"],
        optim_state_dict=state["optim"],
        options=StateDictOptions(full_state_dict=True),
    )
    return state["step"], state["history"]


def _mean(value: torch.Tensor, d: Dist) -> float:
    if d.world > 1:
        dist.all_reduce(value, op=dist.ReduceOp.SUM)
        value = value / d.world
    return value.item()


def evaluate_loss(model, rows: np.ndarray, t: TrainConfig, d: Dist, autocast) -> float | None:
    """Mean loss over the first eval_batches micro-batches of validation rows."""
    n = min(len(rows), t.eval_batches * t.micro_batch_size * d.world)
    n -= n % d.world  # every rank the same number of batches, or collectives would hang
    if n == 0:
        return None
    mine = rows[d.rank : n : d.world]
    total, count = torch.zeros((), device=d.device), torch.zeros((), device=d.device)
    model.eval()
    with torch.no_grad():
        for i in range(0, len(mine), t.micro_batch_size):
            x = torch.as_tensor(
                np.asarray(mine[i : i + t.micro_batch_size], dtype=np.int64), device=d.device
            )
            with autocast():
                total += model(input_ids=x, labels=x).loss.float() * len(x)
            count += len(x)
    model.train()
    if d.world > 1:
        dist.all_reduce(total)
        dist.all_reduce(count)
    return (total / count.clamp(min=1)).item()


def pretrain(
    config: str | Path | ModelYaml,
    data: str | Path,
    out: str | Path,
    init: str | Path | None = None,
    on_log=None,
    stop_at: int | None = None,
) -> dict:
    """Train to `train.steps` (or stop, checkpointed, after step `stop_at`: a job that must
    end before its time limit runs on later from there)."""
    cfg = config if isinstance(config, ModelYaml) else ModelYaml.load(config)
    t = cfg.train
    d = setup()
    out, data = Path(out), Path(data)
    meta = manifest(data)
    train_rows, val_rows = load_split(data, "train"), load_split(data, "validation")
    bf16 = t.precision == "bf16" or (t.precision == "auto" and d.device.type == "cuda")
    raw = build_model(cfg, meta, init).to(d.device)
    fpt = flops_per_token(raw, meta["seq_len"])
    peak = peak_flops(t, d.device)
    model = _wrap(raw, t, d, bf16)
    fused = d.device.type == "cuda"
    opt = torch.optim.AdamW(
        raw.parameters() if t.parallel == "fsdp" else model.parameters(),
        lr=t.lr,
        betas=t.betas,
        weight_decay=t.weight_decay,
        fused=fused,
    )
    fsdp = d.world > 1 and t.parallel == "fsdp"

    def autocast():
        if bf16 and not fsdp:
            return torch.autocast(d.device.type, dtype=torch.bfloat16)
        return nullcontext()

    if d.main:
        out.mkdir(parents=True, exist_ok=True)
    if d.world > 1:
        dist.barrier()
    key = run_key(cfg, meta, init)
    start, history = _resume(out, raw, opt, key)
    sampler = Sampler(train_rows, t.seed)
    mb, gb = t.micro_batch_size, t.micro_batch_size * t.grad_accum * d.world
    tokens_per_step = gb * meta["seq_len"]
    model.train()
    t0, window = time.perf_counter(), 0
    end = min(t.steps, stop_at or t.steps)
    for step in range(start, end):
        lr = lr_at(step, t)
        for g in opt.param_groups:
            g["lr"] = lr
        step_loss = torch.zeros((), device=d.device)
        for m in range(t.grad_accum):
            x = torch.as_tensor(
                sampler.take(step * gb + (m * d.world + d.rank) * mb, mb), device=d.device
            )
            sync = nullcontext()
            if fsdp:  # reduce-scatter gradients on the last micro-batch only
                model.set_requires_gradient_sync(m == t.grad_accum - 1)
            elif d.world > 1 and m < t.grad_accum - 1:
                sync = model.no_sync()
            with sync, autocast():
                loss = model(input_ids=x, labels=x).loss / t.grad_accum
            loss.backward()
            step_loss += loss.detach().float()
        torch.nn.utils.clip_grad_norm_(model.parameters(), t.grad_clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        window += 1
        last = step + 1 == end
        evaluate = (t.eval_every and (step + 1) % t.eval_every == 0) or last
        if (step + 1) % t.log_every == 0 or evaluate:
            loss_v = _mean(step_loss, d)
            if d.device.type == "cuda":
                torch.cuda.synchronize()
            dt = time.perf_counter() - t0
            tps = window * tokens_per_step / dt
            rec = {
                "step": step + 1,
                "loss": loss_v,
                "lr": lr,
                "tokens_per_s": tps,
                "mfu": tps * fpt / (peak * d.world) if peak else None,
            }
            if evaluate:
                rec["val_loss"] = evaluate_loss(model, val_rows, t, d, autocast)
            history.append(rec)
            if d.main:
                _write_metrics(out, history, fpt, peak, d.world)
                if on_log:
                    on_log(rec)
            t0, window = time.perf_counter(), 0
        if (t.save_every and (step + 1) % t.save_every == 0) or last:
            _save_checkpoint(out, raw, opt, step + 1, history, d, t.keep_checkpoints, key)
    _save_model(out, raw, data, d)
    if d.world > 1:
        dist.barrier()
    return {
        "out": str(out),
        "steps": t.steps,
        "resumed_from": start,
        "final_loss": history[-1]["loss"] if history else None,
        "val_loss": history[-1].get("val_loss") if history else None,
        "flops_per_token": fpt,
        "world_size": d.world,
    }


def _save_model(out: Path, raw, data: Path, d: Dist) -> None:
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    sd = get_model_state_dict(raw, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
    if not d.main:
        return
    with atomic_dir(out / "model") as tmp:
        raw.save_pretrained(tmp, state_dict=sd)
        for f in (data / "tokenizer").iterdir():  # the tokenizer's files (prepare copied them)
            if f.is_file() and not (tmp / f.name).exists():
                shutil.copy2(f, tmp / f.name)


def _write_metrics(out: Path, history: list, fpt: float, peak: float | None, world: int) -> None:
    from termnorm_utils.charts import line_chart

    with atomic_path(out / "metrics.json") as tmp:
        tmp.write_bytes(
            orjson.dumps(
                {
                    "flops_per_token": fpt,
                    "peak_flops": peak,
                    "world_size": world,
                    "history": history,
                },
                option=orjson.OPT_INDENT_2,
            )
        )
    series = {"train loss": [(r["step"], r["loss"]) for r in history]}
    val = [(r["step"], r["val_loss"]) for r in history if r.get("val_loss") is not None]
    if val:
        series["validation loss"] = val
    with atomic_path(out / "loss.svg") as tmp:
        tmp.write_text(line_chart(series, "step", "loss"))
