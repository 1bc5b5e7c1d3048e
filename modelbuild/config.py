"""`model.yaml`: the model's shape (a LLaMA-style decoder) and the training settings.

    model:                  # LlamaConfig fields; vocab size and special tokens come from the data
      hidden_size: 256
      intermediate_size: 688
      num_hidden_layers: 4
      num_attention_heads: 4
      num_key_value_heads: 2
    train:
      steps: 200
      micro_batch_size: 8
      ...

Unknown keys are errors (a typo should not silently train with the default).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml

from termnorm_utils.errors import InputError

MODEL_DEFAULTS = {
    "hidden_size": 256,
    "intermediate_size": 688,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "rope_theta": 10000.0,
    "rms_norm_eps": 1e-5,
    "tie_word_embeddings": True,
    "hidden_act": "silu",
    "initializer_range": 0.02,
}
MODEL_KEYS = set(MODEL_DEFAULTS) | {
    "max_position_embeddings",
    "attention_dropout",
    "head_dim",
    "attention_bias",
    "mlp_bias",
    "rope_scaling",
}


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 100
    micro_batch_size: int = 8
    grad_accum: int = 1
    lr: float = 1e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 10
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0
    seed: int = 0
    precision: str = "auto"  # auto (bf16 on GPU, fp32 on CPU), bf16, fp32
    compile: bool = False
    gradient_checkpointing: bool = False
    parallel: str = "ddp"  # with several processes: ddp or fsdp (FSDP2)
    save_every: int = 0  # 0: only at the end
    keep_checkpoints: int = 2
    eval_every: int = 0  # 0: only at the end
    eval_batches: int = 8
    log_every: int = 10
    peak_tflops: float | None = None  # the chip's dense bf16 peak, when not in the built-in table


@dataclass(frozen=True)
class ModelYaml:
    model: dict = field(default_factory=lambda: dict(MODEL_DEFAULTS))
    train: TrainConfig = field(default_factory=TrainConfig)

    @classmethod
    def load(cls, path: str | Path) -> ModelYaml:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such model config")
        try:
            raw = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as e:
            raise InputError(f"{path}: not valid YAML ({e})") from None
        return cls.from_dict(raw, str(path))

    @classmethod
    def from_dict(cls, raw: dict, where: str = "config") -> ModelYaml:
        if not isinstance(raw, dict):
            raise InputError(f"{where}: a mapping with `model` and `train` expected")  # noqa: TRY004
        extra = set(raw) - {"model", "train"}
        if extra:
            raise InputError(f"{where}: unknown section(s) {sorted(extra)} (model, train)")
        model = raw.get("model") or {}
        bad = set(model) - MODEL_KEYS
        if bad:
            raise InputError(f"{where}: unknown model key(s) {sorted(bad)}")
        train = raw.get("train") or {}
        names = {f.name: f for f in fields(TrainConfig)}
        bad = set(train) - set(names)
        if bad:
            raise InputError(f"{where}: unknown train key(s) {sorted(bad)}")
        if "betas" in train:
            train = {**train, "betas": tuple(train["betas"])}
        cfg = cls({**MODEL_DEFAULTS, **model}, TrainConfig(**train))
        cfg.check(where)
        return cfg

    def check(self, where: str) -> None:
        t = self.train
        if t.precision not in ("auto", "bf16", "fp32"):
            raise InputError(f"{where}: train.precision must be auto, bf16 or fp32")
        if t.parallel not in ("ddp", "fsdp"):
            raise InputError(f"{where}: train.parallel must be ddp or fsdp")
        for name in ("steps", "micro_batch_size", "grad_accum"):
            if getattr(t, name) < 1:
                raise InputError(f"{where}: train.{name} must be at least 1")
        m = self.model
        if m["hidden_size"] % m["num_attention_heads"]:
            raise InputError(f"{where}: hidden_size must be a multiple of num_attention_heads")

    def to_dict(self) -> dict:
        return {"model": self.model, "train": asdict(self.train)}
