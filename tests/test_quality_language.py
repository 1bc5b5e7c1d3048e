"""Quality signals, filters and language on real notes: MTSamples (English) and CHIP-CDN
diagnosis texts (Chinese)."""

from __future__ import annotations

import gzip

import orjson
import pyarrow as pa
from conftest import SHARED, need_shared

from corpus.stages import language, quality


def _mtsamples(n: int) -> list[str]:
    need_shared()
    with gzip.open(SHARED / "corpora" / "mtsamples" / "mtsamples.jsonl.gz") as f:
        rows = [orjson.loads(line) for _, line in zip(range(n), f, strict=False)]
    return [r["transcription"] for r in rows if (r.get("transcription") or "").strip()]


def test_signals_on_real_notes():
    notes = _mtsamples(300)
    sig = quality.signals(pa.array(notes, pa.large_string()))
    assert sig["n_chars"].to_list() == [len(t) for t in notes]
    assert sig["n_words"].to_list() == [len(t.split()) for t in notes]
    doubled = quality.signals(["\n".join([notes[0]] * 2), None])
    assert doubled["dup_line_frac"][0] >= 0.5 and doubled["n_chars"][1] == 0
    assert 0 <= sig["symbol_ratio"].max() < 0.5 and sig["cjk_ratio"].max() == 0


def test_filters_name_the_rule_and_can_be_turned_off():
    texts = [
        "ok",
        "word " * 30,
        "$$$ ### !!! %%% ^^^ &&& *** ((( ))) @@@ " * 3,
        "患者因胸痛三天入院，既往高血压病史十年。",
    ]
    sig = quality.signals(texts)
    rules = quality.QualityFilter()
    assert quality.failures(sig, rules).to_list() == [
        "quality: n_chars < 20",
        None,
        "quality: symbol_ratio > 0.25",
        None,
    ]
    # the next rule speaks once one is off; Chinese (one "word": no spaces) is not held to the
    # word rules
    off = rules.model_copy(update={"min_chars": None, "max_symbol_ratio": None})
    assert quality.failures(sig, off).to_list() == ["quality: n_words < 5", None, None, None]


def test_language_of_real_english_and_chinese():
    notes = _mtsamples(300)
    sig = quality.signals(notes)
    langs = language.detect(pa.array(notes), sig)["lang"].to_list()
    assert langs.count("en") >= len(notes) - 2, [
        n[:60] for n, x in zip(notes, langs, strict=True) if x != "en"
    ]
    cdn = orjson.loads((SHARED / "eval" / "chip-cdn" / "CHIP-CDN_train.json").read_bytes())
    zh = [it["text"] for it in cdn[:300]]
    out = language.detect(pa.array(zh), quality.signals(zh))
    assert out["lang"].to_list().count("zh") >= 295
    mixed = ["患者有2型糖尿病 type 2 diabetes mellitus with hypertension 高血压"]
    m = language.detect(pa.array(mixed), quality.signals(mixed))
    assert m["mixed_script"][0]
    other = [
        "Der Patient klagt seit drei Tagen über Brustschmerzen und Atemnot.",
        "Le patient se plaint de douleurs thoraciques depuis trois jours.",
    ]
    assert language.detect(pa.array(other), quality.signals(other))["lang"].to_list() == [
        "de",
        "fr",
    ]
