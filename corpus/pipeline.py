"""The stages of a corpus run, in order, in one place.

    stages = pipeline.stages(config)
    batch = pipeline.run(records, stages)      # records: a reader's table
    batch.docs(schema.docs(stages)), batch.outputs["mentions"], batch.rejects

Each stage is an object over a whole batch (`corpus.batch.Stage`); a stage the config turns
off is not in the list. To add one: write it in `corpus/stages/`, list it here, declare its
docs columns in `corpus/schema.py`.
"""

from __future__ import annotations

import time
from collections import Counter

import pyarrow as pa

from corpus.batch import Batch, Stage
from corpus.config import RunConfig
from corpus.stages.clean import Clean, RemoveBoilerplate
from corpus.stages.mentions import Mentions
from corpus.stages.phi import Deidentify, DeidentifyMeta
from corpus.stages.quality import Quality
from corpus.stages.signatures import Signatures
from corpus.stages.tag import Tag
from ontology.store import Terminology


def stages(cfg: RunConfig) -> list[Stage]:
    on, b, d, phi = cfg.stages, cfg.boilerplate, cfg.dedup, cfg.phi
    # opened once here, checked once, and handed to the stages that read it
    terminology = Terminology.open(cfg.ontology) if cfg.ontology else None
    listed: list[tuple[bool, Stage]] = [
        (on.phi, DeidentifyMeta(phi.identifying, phi.salt, phi.text_fields)),
        (on.clean, Clean()),
        (on.clean and b.enabled, RemoveBoilerplate(b.min_docs, b.min_share, b.min_chars)),
        (on.phi, Deidentify(phi.surrogates, phi.salt)),
        # signals and language always; the rules only with the quality stage
        (True, Quality(cfg.quality if on.quality else None)),
        (on.mentions, Mentions(terminology, cfg.mentions.context_rules)),
        (on.tag, Tag(terminology)),
        (True, Signatures(d.num_perm, d.ngram, d.seed)),
    ]
    return [stage for enabled, stage in listed if enabled]


def run(records: pa.Table, stages: list[Stage], times: Counter | None = None) -> Batch:
    """`records` through `stages`; with `times`, each stage's seconds are added to it."""
    batch = Batch.of_records(records)
    for stage in stages:
        t = time.perf_counter()
        stage(batch)
        if times is not None:
            times[stage.name] += time.perf_counter() - t
    return batch
