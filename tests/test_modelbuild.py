"""The whole model path on a CPU: a corpus run over real MTSamples notes -> tokenizer -> packed
token shards -> pretraining (loss falls) -> save -> reload -> exact resume -> LoRA -> a DPO step
-> evaluation; two processes under torchrun with gloo; bad fine-tuning rows and configs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import orjson
import pytest
import torch
from conftest import SAMPLES, mtsamples_corpus

from modelbuild import tokenizer as tk
from modelbuild.config import ModelYaml
from modelbuild.datasets import DataError, read
from modelbuild.prepare import load_split, manifest, prepare

TINY = {
    "model": {
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
    },
    "train": {
        "steps": 30,
        "micro_batch_size": 8,
        "lr": 0.005,
        "warmup_steps": 3,
        "log_every": 5,
        "save_every": 10,
    },
}


@pytest.fixture(scope="module")
def data(sample_terminology, tmp_path_factory):
    root = tmp_path_factory.mktemp("mb")
    mtsamples_corpus(root / "corpus", 300, sample_terminology, tmp_path_factory.mktemp("mt"))
    tk.build(root / "corpus", root / "tok", "bpe", 1024, None, sample_terminology, 100)
    prepare(
        root / "corpus",
        root / "tok",
        root / "data",
        seq_len=64,
        validation=0.1,
        sft=SAMPLES / "finetune" / "sft.jsonl",
        preferences=SAMPLES / "finetune" / "preferences.jsonl",
    )
    return root


def _yaml(tmp: Path, **train) -> Path:
    cfg = {"model": TINY["model"], "train": {**TINY["train"], **train}}
    path = tmp / "model.yaml"
    path.write_text(orjson.dumps(cfg).decode())  # JSON is YAML
    return path


def test_prepare_is_deterministic_and_splits_by_document(data, tmp_path):
    m = manifest(data / "data")
    train, val = load_split(data / "data", "train"), load_split(data / "data", "validation")
    assert train.shape[1] == 64 and train.dtype == np.uint16
    assert m["splits"]["validation"]["documents"] > 0
    # every document ends with EOS, and tokens are all accounted for
    for split, rows in (("train", train), ("validation", val)):
        s = m["splits"][split]
        assert rows.size + s["dropped_tokens"] == s["tokens"]
        assert int((rows == m["eos_id"]).sum()) <= s["documents"]
    again = prepare(m["catalog"], data / "tok", tmp_path / "again", seq_len=64, validation=0.1)
    for split in ("train", "validation"):
        for a, b in zip(
            m["splits"][split]["shards"], again["splits"][split]["shards"], strict=True
        ):
            assert a["sha256"] == b["sha256"]
    # small shards read as one sequence give the same rows
    small = prepare(
        m["catalog"],
        data / "tok",
        tmp_path / "small",
        seq_len=64,
        validation=0.1,
        rows_per_shard=16,
    )
    assert len(small["splits"]["train"]["shards"]) > 2
    rows = load_split(tmp_path / "small", "train")
    idx = np.array([len(train) - 1, 0, 17, 16, 15, 33])
    assert np.array_equal(rows[idx], train[idx]) and len(rows) == len(train)
    assert sorted(p.name for p in (tmp_path / "small" / "tokenizer").iterdir()) == sorted(
        p.name for p in (data / "tok").iterdir()
    )


def test_bad_fine_tuning_rows_are_named_by_line(tmp_path):
    bad = tmp_path / "sft.jsonl"
    bad.write_text(
        '{"instruction": "a", "response": "b"}\n{"instruction": "a"}\nnot json\n'
        '{"instruction": 3, "response": "b"}\n'
    )
    with pytest.raises(DataError) as e:
        read(bad, "sft")
    msg = str(e.value)
    assert f"{bad}:2: missing field 'response'" in msg
    assert f"{bad}:3: not valid JSON" in msg
    assert f"{bad}:4: field 'instruction' must be a string" in msg
    prefs = tmp_path / "p.jsonl"
    prefs.write_text('{"prompt": "p", "chosen": "x", "rejected": "x"}\n')
    with pytest.raises(DataError, match=":1: chosen and rejected are the same"):
        read(prefs, "preference")


def test_bad_model_config_names_the_key(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("model:\n  hidden_size: 64\ntrain:\n  stepz: 3\n")
    with pytest.raises(ValueError, match=r"m.yaml: unknown train key\(s\) \['stepz'\]"):
        ModelYaml.load(path)


@pytest.fixture(scope="module")
def pretrained(data, tmp_path_factory):
    """A tiny model pretrained on the sample corpus: its config, its folder and what it said."""
    from modelbuild.pretrain import pretrain

    tmp = tmp_path_factory.mktemp("pretrained")
    cfg = _yaml(tmp)
    return cfg, tmp / "pt", pretrain(cfg, data / "data", tmp / "pt")


@pytest.fixture(scope="module")
def lora(data, pretrained, tmp_path_factory):
    from modelbuild.finetune import FinetuneConfig, finetune

    out = tmp_path_factory.mktemp("lora")
    cfg = FinetuneConfig(steps=6, lr=5e-3, batch_size=16)  # every row, every step
    return out, finetune("lora", pretrained[1] / "model", data / "data", out, cfg)


def test_pretraining_lowers_the_loss_below_a_uniform_guess(data, pretrained):
    _, out, res = pretrained
    hist = orjson.loads((out / "metrics.json").read_bytes())["history"]
    vocab = manifest(data / "data")["vocab_size"]
    assert hist[-1]["loss"] < hist[0]["loss"]
    # well below a uniform guess (the last logged losses, each of a 512-token batch, averaged)
    assert np.mean([h["loss"] for h in hist[-3:]]) < np.log(vocab) - 0.75
    assert res["val_loss"] is not None and (out / "loss.svg").exists()


def test_a_saved_checkpoint_reloads_to_the_same_loss(data, pretrained, tmp_path):
    from transformers import AutoModelForCausalLM

    from modelbuild.evaluate import evaluate

    model = AutoModelForCausalLM.from_pretrained(pretrained[1] / "model")
    x = torch.as_tensor(np.asarray(load_split(data / "data", "validation")[:4], dtype=np.int64))
    with torch.no_grad():
        loss = model(input_ids=x, labels=x).loss.item()
    ev = evaluate(pretrained[1] / "model", data / "data", tmp_path / "e0", max_rows=4)
    assert loss == pytest.approx(ev["perplexity"]["loss"], rel=1e-4)


def test_a_resumed_run_equals_one_in_one_go(data, pretrained, tmp_path):
    from transformers import AutoModelForCausalLM

    from modelbuild.pretrain import pretrain

    cfg, out, _ = pretrained
    # 20 steps, then on to 30 from the checkpoint
    pretrain(cfg, data / "data", tmp_path / "rs", stop_at=20)
    assert pretrain(cfg, data / "data", tmp_path / "rs")["resumed_from"] == 20
    a = AutoModelForCausalLM.from_pretrained(out / "model").state_dict()
    b = AutoModelForCausalLM.from_pretrained(tmp_path / "rs" / "model").state_dict()
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


def test_a_checkpoint_of_another_run_is_not_resumed(data, pretrained, tmp_path):
    from modelbuild.pretrain import pretrain

    pretrain(pretrained[0], data / "data", tmp_path / "rs", stop_at=5)
    other = _yaml(tmp_path / "rs", seed=1)
    with pytest.raises(ValueError, match="a checkpoint of another model, data or batch order"):
        pretrain(other, data / "data", tmp_path / "rs")


def test_lora_lowers_the_loss_and_saves_its_adapter(lora):
    out, res = lora
    assert res["final_loss"] < res["first_loss"]
    assert (out / "adapter" / "adapter_config.json").exists()


def test_a_dpo_step_starts_at_log_2_and_moves_the_weights(data, lora, tmp_path):
    from transformers import AutoModelForCausalLM

    from modelbuild.finetune import FinetuneConfig, finetune

    cfg = FinetuneConfig(steps=2, lr=1e-3, batch_size=8)
    dpo = finetune("dpo", lora[0] / "model", data / "data", tmp_path / "dpo", cfg)
    before = AutoModelForCausalLM.from_pretrained(lora[0] / "model").state_dict()
    after = AutoModelForCausalLM.from_pretrained(tmp_path / "dpo" / "model").state_dict()
    assert dpo["first_loss"] == pytest.approx(0.6931, abs=1e-3)  # policy == reference at start
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_eval_reports_perplexity_and_the_term_probe(data, lora, sample_terminology, tmp_path):
    from modelbuild.evaluate import evaluate

    vocab = manifest(data / "data")["vocab_size"]
    ev = evaluate(lora[0] / "model", data / "data", tmp_path / "ev", sample_terminology, probe=20)
    assert ev["perplexity"]["perplexity"] < vocab  # below a uniform guess over the vocabulary
    assert ev["term_probe"]["pairs"] > 0
    assert "<table>" in (tmp_path / "ev" / "eval.html").read_text()


@pytest.mark.slow
def test_two_processes_under_torchrun_with_gloo(data, tmp_path):
    """DDP and FSDP2, two CPU processes each, gradient accumulation: the same losses."""
    losses = {}
    for parallel in ("ddp", "fsdp"):
        cfg = _yaml(
            tmp_path, steps=6, save_every=0, micro_batch_size=4, grad_accum=2, parallel=parallel
        )
        out = tmp_path / parallel
        cmd = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            "-m",
            "termnorm.cli",
            "model",
            "pretrain",
            "--config",
            str(cfg),
            "--data",
            str(data / "data"),
            "--out",
            str(out),
            "--json",
        ]
        p = subprocess.run(
            cmd,
            check=False,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        assert p.returncode == 0, p.stderr[-3000:]
        m = orjson.loads((out / "metrics.json").read_bytes())
        assert m["world_size"] == 2 and m["history"][-1]["step"] == 6
        assert (out / "model" / "model.safetensors").exists()
        losses[parallel] = [r["loss"] for r in m["history"]]
    assert losses["ddp"] == pytest.approx(losses["fsdp"], rel=1e-4)


def test_continued_pretraining_with_a_grown_tokenizer(data, sample_terminology, tmp_path):
    """A tokenizer grown with new terms keeps every old ID; `--init` resizes the embeddings and
    keeps the old rows."""
    from transformers import AutoModelForCausalLM

    from modelbuild.pretrain import build_model, pretrain
    from modelbuild.selection import texts

    cfg = _yaml(tmp_path, steps=4, save_every=0)
    pretrain(cfg, data / "data", tmp_path / "base")
    grown = tk.grow(
        data / "tok", tmp_path / "grown", texts(data / "corpus"), sample_terminology, 400
    )
    old, new = tk.load(data / "tok").get_vocab(), tk.load(tmp_path / "grown").get_vocab()
    assert grown["vocab_size"] > grown["vocab_size_before"] == len(old)
    assert all(new[t] == i for t, i in old.items())
    prepare(data / "corpus", tmp_path / "grown", tmp_path / "gdata", seq_len=64, validation=0.1)
    meta = manifest(tmp_path / "gdata")
    base = AutoModelForCausalLM.from_pretrained(tmp_path / "base" / "model")
    resized = build_model(ModelYaml.load(cfg), meta, tmp_path / "base" / "model")
    emb = resized.get_input_embeddings().weight
    assert emb.shape[0] >= meta["vocab_size"]
    assert torch.equal(emb[: len(old)], base.get_input_embeddings().weight[: len(old)])
    res = pretrain(cfg, tmp_path / "gdata", tmp_path / "cpt", init=tmp_path / "base" / "model")
    assert np.isfinite(res["final_loss"])
