"""The learned set-valued ranker on real CHIP-CDN items: trained on the first items of the
training file, scored on later ones (no dev split ships; the official test split is elsewhere)."""

from __future__ import annotations

import orjson
import pytest
from conftest import SHARED

from termnorm.evaluate import _name_index, evaluate, predict_names
from termnorm.normalizer import Normalizer
from termnorm.ranker import SetRanker
from termnorm.similar import ExampleMemory

CDN = SHARED / "eval" / "chip-cdn" / "CHIP-CDN_train.json"
ITEMS = [
    (it["text"], [n for n in it["normalized_result"].split("##") if n])
    for it in orjson.loads(CDN.read_bytes())
]


def _f1(preds, items) -> float:
    tp = sum(len(p & set(w)) for p, (_, w) in zip(preds, items, strict=True))
    fp = sum(len(p) for p in preds) - tp
    fn = sum(len(set(w)) for _, w in items) - tp
    return 2 * tp / (2 * tp + fp + fn)


@pytest.fixture(scope="module")
def nz(full_terminology):
    return Normalizer.load(full_terminology, vocabs=["ICD10BJ"])


def test_ranker_beats_its_sources_alone(nz):
    train, held = ITEMS[:2000], ITEMS[5000:5400]
    ranker = SetRanker(nz, list(_name_index(nz, "ICD10BJ")), train)
    texts = [t for t, _ in held]
    ranked = _f1(ranker.predict(texts), held)
    memory = ExampleMemory(train)
    voted = _f1([memory.vote(t) | predict_names(nz, t) for t in texts], held)
    assert ranked > voted + 0.03, (ranked, voted)
    assert ranked > 0.5, ranked
    assert 0.1 <= ranker.threshold < 0.8
    # every prediction is a set of names, the best candidate always among them
    scores = ranker.scores(texts[:20])
    assert all(s and s[0][0] in p for s, p in zip(scores, ranker.predict(texts[:20]), strict=True))
    assert ranker.predict([""]) == [set()]


def test_ranker_is_deterministic(nz):
    names = list(_name_index(nz, "ICD10BJ"))
    a = SetRanker(nz, names, ITEMS[:400]).scores([t for t, _ in ITEMS[5000:5050]])
    b = SetRanker(nz, names, ITEMS[:400]).scores([t for t, _ in ITEMS[5000:5050]])
    assert a == b


def test_eval_chip_with_examples(full_terminology, tmp_path):
    learn, dev = tmp_path / "learn.json", tmp_path / "dev.json"
    raw = orjson.loads(CDN.read_bytes())
    learn.write_bytes(orjson.dumps(raw[:1500]))
    dev.write_bytes(orjson.dumps(raw[5000:5200]))
    res = evaluate(full_terminology, "chip-cdn", dev, learn=[learn])
    assert res["examples"] == 1500 and res["n"] == 200 and res["f1"] > 0.45
