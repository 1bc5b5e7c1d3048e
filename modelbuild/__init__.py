"""Model builds from a corpus catalog: a domain tokenizer and its report, packed token shards,
pretraining, fine-tuning (SFT, LoRA, DPO) and evaluation.

The tokenizer and data preparation need only `tokenizers`; training and evaluation need the
`train` extra (torch, transformers, peft, trl, accelerate).
"""
