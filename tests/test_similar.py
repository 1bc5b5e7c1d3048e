"""Approved examples found by similarity, on real CHIP-CDN items (the training file; later
items held out)."""

from __future__ import annotations

import orjson
import pytest
from conftest import SHARED, need_shared

from termnorm.similar import ExampleMemory


@pytest.fixture(scope="module")
def items() -> list[dict]:
    """The CHIP-CDN training items, read when a test needs them (a skip without the data)."""
    need_shared()
    return orjson.loads((SHARED / "eval" / "chip-cdn" / "CHIP-CDN_train.json").read_bytes())


def _labels(item) -> list[str]:
    return [n for n in item["normalized_result"].split("##") if n]


def test_memory_votes_for_similar_texts(items):
    train, held = items[:3000], items[3000:3300]
    memory = ExampleMemory((it["text"], _labels(it)) for it in train)
    assert len(memory) == 3000
    # a training text finds itself first, and its own names win the vote when alone
    top = memory.nearest(train[7]["text"], k=3)
    assert top[0][0] == 7 and top[0][1] > 0.99
    assert memory.vote(train[7]["text"], k=1) == set(_labels(train[7]))
    tp = fp = fn = 0
    for it in held:
        pred, want = memory.vote(it["text"]), set(_labels(it))
        tp, fp, fn = tp + len(pred & want), fp + len(pred - want), fn + len(want - pred)
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert f1 > 0.3, f1  # retrieval alone, no dictionary
    assert memory.vote("") == set() and memory.vote("🙂🙂🙂") == set()
