"""Fine-tuning a pretrained checkpoint with transformers, PEFT and TRL.

- `sft`: full supervised fine-tuning on prompt/response pairs (loss on the response only);
- `lora`: the same with LoRA adapters on every projection (PEFT); the adapter is saved and also
  merged into a plain checkpoint, so later steps load it like any other model;
- `dpo`: direct preference optimization on prompt/chosen/rejected triples (optionally LoRA).

Writes `out/model/` (weights + tokenizer) and `out/metrics.json` (the trainer's log history).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import orjson

from modelbuild import datasets
from termnorm_utils.errors import InputError
from termnorm_utils.files import atomic_dir, atomic_path

METHODS = ("sft", "lora", "dpo")
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
PROMPT = "{prompt}\n"  # no chat template: the prompt, then the answer on the next line


@dataclass(frozen=True)
class FinetuneConfig:
    steps: int = 50
    batch_size: int = 4
    lr: float = 1e-4
    max_length: int = 512
    seed: int = 0
    lora_r: int = 8
    lora_alpha: int = 16
    lora: bool = False  # dpo: train LoRA adapters instead of every weight
    beta: float = 0.1  # dpo: strength of the pull towards the reference model


def _rows(data: str | Path, kind: str) -> list[dict]:
    """A JSONL file, or a prepared folder holding sft.jsonl / preferences.jsonl."""
    path = Path(data)
    if path.is_dir():
        path = path / ("sft.jsonl" if kind == "sft" else "preferences.jsonl")
    return datasets.read(path, kind)


def finetune(
    method: str,
    model_dir: str | Path,
    data: str | Path,
    out: str | Path,
    cfg: FinetuneConfig = FinetuneConfig(),
) -> dict:
    if method not in METHODS:
        raise InputError(f"unknown method {method!r} (one of {', '.join(METHODS)})")
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = Path(out)
    rows = _rows(data, "preference" if method == "dpo" else "sft")
    tok = AutoTokenizer.from_pretrained(model_dir)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    common = {
        "output_dir": str(out / "trainer"),
        "max_steps": cfg.steps,
        "per_device_train_batch_size": cfg.batch_size,
        "learning_rate": cfg.lr,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": [],
        "seed": cfg.seed,
        "data_seed": cfg.seed,
        "bf16": torch.cuda.is_available(),
        "max_length": cfg.max_length,
        "lr_scheduler_type": "constant_with_warmup",
        "warmup_steps": 0,
    }
    peft = None
    if method == "lora" or (method == "dpo" and cfg.lora):
        from peft import LoraConfig

        peft = LoraConfig(
            r=cfg.lora_r,
            lora_alpha=cfg.lora_alpha,
            target_modules=LORA_TARGETS,
            lora_dropout=0.0,
            task_type="CAUSAL_LM",
        )
    if method == "dpo":
        from trl import DPOConfig, DPOTrainer

        ds = Dataset.from_list(
            [
                {
                    "prompt": PROMPT.format(prompt=r["prompt"]),
                    "chosen": r["chosen"],
                    "rejected": r["rejected"],
                }
                for r in rows
            ]
        )
        trainer = DPOTrainer(
            model=model,
            args=DPOConfig(beta=cfg.beta, **common),
            train_dataset=ds,
            processing_class=tok,
            peft_config=peft,
        )
    else:
        from trl import SFTConfig, SFTTrainer

        ds = Dataset.from_list(
            [
                {"prompt": PROMPT.format(prompt=r["prompt"]), "completion": r["response"]}
                for r in rows
            ]
        )
        trainer = SFTTrainer(
            model=model,
            args=SFTConfig(completion_only_loss=True, **common),
            train_dataset=ds,
            processing_class=tok,
            peft_config=peft,
        )
    trainer.train()
    trained = trainer.model
    if peft is not None:
        trained.save_pretrained(out / "adapter")
        trained = trained.merge_and_unload()
    with atomic_dir(out / "model") as tmp:
        trained.save_pretrained(tmp)
        tok.save_pretrained(tmp)
    shutil.rmtree(out / "trainer", ignore_errors=True)
    history = [h for h in trainer.state.log_history if "loss" in h]
    with atomic_path(out / "metrics.json") as f:
        f.write_bytes(
            orjson.dumps(
                {"method": method, "rows": len(rows), "history": history},
                option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY,
            )
        )
    return {
        "out": str(out),
        "method": method,
        "rows": len(rows),
        "steps": cfg.steps,
        "first_loss": history[0]["loss"] if history else None,
        "final_loss": history[-1]["loss"] if history else None,
    }
