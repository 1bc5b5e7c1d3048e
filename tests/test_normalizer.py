"""The normalization engine through its Python API, on the sample and the full terminology."""

from __future__ import annotations

import orjson
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from termnorm.cli import app
from termnorm.normalizer import Normalizer
from termnorm_utils.errors import InputError

NOTE = (
    "CHIEF COMPLAINT: Chest pain and SOB.\nHISTORY: denies fever or cough. H/o HTN.\n"
    "Father had a myocardial infarction. Possible pneumonia.\n"
    "否认发热，既往高血压病史。家族史：母亲有哮喘。"
)


@pytest.fixture(scope="module")
def nz(sample_terminology):
    return Normalizer.load(sample_terminology)


def by_surface(result):
    return {m.surface: m for m in result.mentions}


def test_mentions_spans_and_context(nz):
    r = nz.normalize(NOTE)
    m = by_surface(r)
    for surface, mention in m.items():
        assert NOTE[mention.start : mention.end] == surface
    assert m["Chest pain"].concept_id == "HP:0100749" and not m["Chest pain"].negated
    assert m["SOB"].concept_id == "HP:0002094" and m["SOB"].method == "abbreviation"
    assert m["fever"].negated and m["cough"].negated
    assert m["HTN"].historical
    assert m["myocardial infarction"].family
    assert m["pneumonia"].uncertain
    assert m["发热"].negated and m["高血压"].historical and m["哮喘"].family
    assert not m["高血压"].negated, "the Chinese scope ends at the clause comma"


def test_context_rules_are_data_users_extend(sample_terminology, tmp_path):
    text = "Pneumonia is out of the question. Afebrile."
    assert not Normalizer.load(sample_terminology).normalize(text).mentions[0].negated
    mine = tmp_path / "mine.json"
    mine.write_text(
        '{"context_rules": [{"literal": "is out of the question", "category": '
        '"NEGATED_EXISTENCE", "direction": "BACKWARD"}]}',
        encoding="utf-8",
    )
    nz = Normalizer.load(sample_terminology, context_rules=[mine])
    assert nz.normalize(text).mentions[0].negated
    nz.learn([("afebrile", "HP:0001945")])  # a rebuilt engine keeps the user's rules
    assert nz.normalize(text).mentions[0].negated
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"context_rules": [{"literal": "x", "category": "MAYBE", "direction": "FORWARD"}]}',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"bad\.json, rule 0: unknown category"):
        Normalizer.load(sample_terminology, context_rules=[bad])
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('{"context_rules": [{"literal": "écarté"}]}'.encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1\.json: not valid UTF-8"):
        Normalizer.load(sample_terminology, context_rules=[latin1])


def test_abbreviations_need_abbreviation_case(nz):
    surfaces = [m.surface for m in nz.normalize("mi casa es su casa; rule out MI").mentions]
    assert surfaces == ["MI"]


def test_batch_equals_single(nz):
    texts = [NOTE, None, "", "Type II diabetes? No.", "高血压"]
    table = nz.normalize_batch(pa.array(texts))
    assert table.num_rows == sum(len(nz.normalize(t).mentions) for t in texts if t)
    rows = table.to_pylist()
    for doc, text in enumerate(texts):
        got = [
            (r["start"], r["end"], r["surface"], r["concept_id"], r["negated"])
            for r in rows
            if r["doc"] == doc
        ]
        want = [
            (m.start, m.end, m.surface, m.concept_id, m.negated)
            for m in (nz.normalize(text).mentions if text else [])
        ]
        assert got == want


def test_batch_keys_are_the_exact_dedup_keys(nz):
    """The keys the annotation pass hands back are `exact_keys`' (what a corpus run compares
    when its mention stage is off), on real notes, Chinese, nulls and empty texts."""
    import gzip

    from conftest import SHARED, need_shared

    from termnorm import _native

    need_shared()
    with gzip.open(SHARED / "corpora" / "mtsamples" / "mtsamples.jsonl.gz") as f:
        notes = [
            orjson.loads(line)["transcription"] for _, line in zip(range(300), f, strict=False)
        ]
    texts = pa.array([*notes, NOTE, None, "", "ＣＨＥＳＴ  Pain", "chest pain"])
    table, keys = nz.normalize_batch_keyed(texts)
    assert keys.equals(_native.exact_keys(texts))
    assert table.equals(nz.normalize_batch(texts))
    encoded, _ = nz.normalize_batch_keyed(texts, encoded=True)
    assert pa.types.is_dictionary(encoded.schema.field("concept_id").type)
    assert encoded.cast(table.schema).equals(table)
    used = encoded.column("concept_id").combine_chunks().dictionary.to_pylist()
    assert sorted(set(used)) == sorted(set(table.column("concept_id").to_pylist()))  # no unused
    assert keys[-2] == keys[-1] and not keys[-4].is_valid  # full width and case fold away
    assert len(set(keys.to_pylist()[:300])) > 250  # distinct notes, distinct keys


def test_dictionary_of_keeps_each_used_value_once():
    """Only used values, each once (kinds share a method name; concepts share names), in
    their order; nulls are a value too."""
    from termnorm.normalizer import dictionary_of

    values = pa.array(["exact", "exact", "abbreviation", "learned", None, "exact"])
    d = dictionary_of(pa.array([5, 2, 0, 2, 4, 1], pa.uint8()), values)
    assert d.dictionary.to_pylist() == ["exact", "abbreviation", None]
    assert d.to_pylist() == ["exact", "abbreviation", "exact", "abbreviation", None, "exact"]
    assert len(dictionary_of(pa.array([], pa.uint32()), values)) == 0


def test_learned_pairs_are_used_at_once(nz):
    assert nz.map("sugar disease") == [] or nz.map("sugar disease")[0].method == "fuzzy"
    assert nz.learn([("sugar disease", "ICD10CM:E11.9")]) == 1
    top = nz.map("Sugar  disease", k=1)[0]
    assert (top.concept_id, top.method) == ("ICD10CM:E11.9", "learned")
    assert any(m.concept_id == "ICD10CM:E11.9" for m in nz.normalize("has sugar disease").mentions)


def test_lexicon_is_cached_and_reused(sample_terminology):
    Normalizer.load(sample_terminology)
    lex = sample_terminology / "lexicon.bin"
    assert lex.exists() and (sample_terminology / "lexicon.json").exists()
    mtime = lex.stat().st_mtime_ns
    Normalizer.load(sample_terminology)
    assert lex.stat().st_mtime_ns == mtime, "a matching cache is loaded, not rebuilt"


def test_fuzzy_index_is_kept_beside_its_lexicon(sample_terminology, tmp_path):
    import shutil

    folder = tmp_path / "t"
    shutil.copytree(sample_terminology, folder)
    query = "mellitus diabetes, type 2"
    want = Normalizer.load(folder).map(query, k=3)
    assert want and want[0].method == "fuzzy"
    (saved,) = folder.glob("*.fuzzy")
    mtime = saved.stat().st_mtime_ns
    assert Normalizer.load(folder).map(query, k=3) == want
    assert saved.stat().st_mtime_ns == mtime, "a saved index is read, not rebuilt"
    # a damaged file is rebuilt; a changed terminology never reads the old lexicon's index
    saved.write_bytes(saved.read_bytes()[:100])
    assert Normalizer.load(folder).map(query, k=3) == want
    assert saved.stat().st_size > 100
    manifest = folder / "manifest.json"
    manifest.write_bytes(manifest.read_bytes() + b"\n")
    assert Normalizer.load(folder).map(query, k=3) == want
    (again,) = folder.glob("*.fuzzy")
    assert again != saved and not saved.exists()


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=120))
def test_engine_never_panics_and_spans_are_valid(nz, text):
    for m in nz.normalize(text).mentions:
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start : m.end] == m.surface


def test_full_terminology_mapping(full_terminology):
    nz = Normalizer.load(full_terminology, vocabs=["MESH", "DOID"])
    assert nz.map("Type II Diabetes Mellitus", k=1)[0].concept_id == "MESH:D003924"
    for variant in ("mellitus diabetes, type 2", "breast tumors", "tumour of breast"):
        top = nz.map(variant, k=3)
        assert top and top[0].method in ("exact", "fuzzy", "variant"), variant
    assert nz.map("breast tumors", k=1)[0].concept_id == "MESH:D001943"
    # lexical variants: British spelling, the head noun's family, a possessive
    for mention, want in (
        ("tumour of breast", "MESH:D001943"),
        ("pancreatic tumour", "MESH:D010190"),
        ("jaw tumor", "MESH:D007573"),
        ("oesophageal cancer", "DOID:5041"),
        ("thyroid tumours", "MESH:D013964"),
        ("leukaemia", "MESH:D007938"),
    ):
        top = nz.map(mention, k=1)[0]
        assert (top.concept_id, top.method) == (want, "variant"), (mention, top)
    # a composite mention that is no term: each conjunct's concept, in order
    both = nz.map("pancreatic and ovarian cancers", k=3)
    assert [(c.concept_id, c.method) for c in both[:2]] == [
        ("MESH:D010190", "composite"),
        ("MESH:D010051", "composite"),
    ]
    assert nz.map("mellitus diabetes, type 2", k=1)[0].concept_id == "MESH:D003924"
    assert nz.map("hypertensoin", k=1)[0].concept_id == "MESH:D006973"
    # nothing matches the whole mention: the head term inside it does
    top = nz.map("primary glioblastomas", k=1)[0]
    assert (top.concept_id, top.method) == ("MESH:D005909", "partial") and top.score < 1
    assert nz.map("familial or sporadic bilateral retinoblastoma", k=1)[0].name.endswith(
        "retinoblastoma"
    )


def test_cli_normalize_and_eval(sample_terminology, full_terminology, tmp_path):
    runner = CliRunner()
    r = runner.invoke(
        app, ["normalize", "--ontology", str(sample_terminology), "--json", "Denies chest pain."]
    )
    assert r.exit_code == 0, r.stderr
    out = orjson.loads(r.stdout)
    assert out["mentions"][0]["negated"] and out["text"] == "denies chest pain."
    r = runner.invoke(
        app,
        [
            "normalize",
            "--ontology",
            str(sample_terminology),
            "--expand",
            "--json",
            "Pt c/o CP, h/o HTN.",
        ],
    )
    out = orjson.loads(r.stdout)
    assert out["text"] == "pt complains of chest pain, history of hypertension."
    assert [m["concept_id"] for m in out["mentions"]] == ["HP:0100749", "HP:0000822"]

    from conftest import SHARED

    dev = SHARED / "eval" / "ncbi-disease" / "NCBIdevelopset_corpus.txt"
    small = tmp_path / "dev.txt"
    small.write_text("\n\n".join(dev.read_text().split("\n\n")[:25]))
    r = runner.invoke(
        app,
        [
            "eval",
            "--ontology",
            str(full_terminology),
            "--task",
            "ncbi",
            "--data",
            str(small),
            "--json",
        ],
    )
    assert r.exit_code == 0, r.stderr
    res = orjson.loads(r.stdout)
    assert res["task"] == "ncbi" and res["n"] > 100
    # exact lookup after lower-casing reaches about 0.31 on this task
    assert res["accuracy"] > 0.4
    r = runner.invoke(
        app, ["eval", "--ontology", str(full_terminology), "--task", "nope", "--data", str(small)]
    )
    assert r.exit_code == 1 and "unknown task" in r.stderr


def test_ncbi_dev_with_training_pairs(full_terminology):
    from conftest import SHARED

    from termnorm.evaluate import evaluate

    d = SHARED / "eval" / "ncbi-disease"
    res = evaluate(
        full_terminology,
        "ncbi",
        d / "NCBIdevelopset_corpus.txt",
        learn=[d / "NCBItrainset_corpus.txt"],
    )
    assert res["accuracy"] > 0.84 and res["learned_pairs"] > 1000


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60))
def test_map_never_panics(nz, text):
    single = nz.map(text, k=3)
    assert nz.map_batch([text], k=3) == [single]
    assert all(0 < c.score <= 1 and c.concept_id for c in single)


def test_huge_documents_and_bad_text(nz):
    big = "Patient denies chest pain. 否认胸痛。 \U0001f600 \x00 " * 250_000  # 9 MB
    r = nz.normalize(big)
    assert len(r.mentions) == 500_000 and all(m.negated for m in r.mentions)
    assert nz.normalize_batch([big]).num_rows == 500_000
    assert nz.map(big[:100_000], k=1)[0].method == "partial"  # no fuzzy on a passage
    for call in (nz.normalize, nz.map, nz.expand):
        with pytest.raises(UnicodeEncodeError):
            call("chest pain \ud800")
    assert nz.normalize("").mentions == [] and nz.map("") == [] and nz.map("   ") == []


def test_traditional_chinese_matches_simplified_terms(nz):
    m = nz.normalize("既往高血壓病史，否認發熱。").mentions
    assert [(x.surface, x.concept_id, x.historical, x.negated) for x in m] == [
        ("高血壓", "HP:0000822", True, False),
        ("發熱", "HP:0001945", False, True),
    ]
    assert nz.map("高血壓", k=1)[0].concept_id == "HP:0000822"
