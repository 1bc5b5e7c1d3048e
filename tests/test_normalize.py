"""The Rust text normalizer through its Python API: behaviour, offsets, batches, bad input."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import termnorm
from termnorm import _native


def orig(text: str, span: tuple[int, int]) -> str:
    return text[span[0] : span[1]]


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("Type II Diabetes Mellitus", "type 2 diabetes mellitus"),
        ("Ⅱ型糖尿病", "2型糖尿病"),
        ("II 型糖尿病", "2 型糖尿病"),
        ("２型糖尿病（未控制）", "2型糖尿病(未控制)"),
        ("NYHA class III heart failure", "nyha class 3 heart failure"),
        ("宫颈癌Ⅳ期", "宫颈癌4期"),
        ("Crohn’s disease — “active”", 'crohn\'s disease - "active"'),
        ("s/p CABG\u2044PCI", "s/p cabg/pci"),
        ("chest\u00a0\u00a0pain\n\n\tSOB  ", "chest pain\nsob"),
        ("vitamin C and IV fluids", "vitamin c and iv fluids"),
        ("Louis XIV", "louis xiv"),
        ("①型", "1型"),
    ],
)
def test_normalizes_clinical_variants(raw, want):
    assert termnorm.fold(raw).text == want


def test_spans_point_into_the_original():
    raw = "Pt  c/o Ⅱ型糖尿病 and Type II DM"
    n = termnorm.fold(raw)
    assert len(n.spans) == len(n.text) == len(n)
    i = n.text.index("2型")
    assert orig(raw, n.original_span(i, i + 1)) == "Ⅱ"
    j = n.text.index("type 2 dm")
    assert orig(raw, n.original_span(j, j + len("type 2 dm"))) == "Type II DM"
    k = n.text.index(" c/o")
    assert orig(raw, n.spans[k]) == "  ", "collapsed whitespace covers the whole run"
    with pytest.raises(ValueError, match="outside"):
        n.original_span(0, len(n.text) + 1)


def test_array_batch_matches_single_calls_and_keeps_nulls():
    texts = ["Type II DM", None, "", "高血压（Ⅲ级）", "ＣＯＶＩＤ－１９"]
    for arr in (
        pa.array(texts),
        pa.array(texts, pa.large_string()),
        pa.array(texts, pa.string_view()),
        pa.chunked_array([texts[:2], texts[2:]]),
    ):
        out = termnorm.fold_array(arr).to_pylist()
        assert out == [None if t is None else termnorm.fold(t).text for t in texts]
    with_offsets = termnorm.fold_array(texts, offsets=True).to_pylist()
    row = with_offsets[3]
    assert row["text"] == "高血压(3级)"
    assert [
        orig(texts[3], (a, b)) for a, b in zip(row["orig_start"], row["orig_end"], strict=True)
    ][4] == "Ⅲ"
    assert with_offsets[1]["text"] is None


def test_wrong_array_type_is_a_clear_error():
    with pytest.raises(TypeError, match="string array"):
        _native.normalize_array(pa.array([1, 2, 3]))


def test_lone_surrogate_is_an_error_not_a_crash():
    with pytest.raises(UnicodeEncodeError):
        termnorm.fold("bad \ud800 text")


def test_large_document_and_odd_characters():
    big = ("Patient denies chest pain. 否认胸痛。 \U0001f600 \x00 " * 200_000)[:10_000_000]
    n = termnorm.fold(big)
    assert "\x00" not in n.text and n.text.startswith("patient denies chest pain")
    assert n.spans[-1][1] <= len(big)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=200))
def test_never_panics_and_offsets_are_valid(text):
    n = termnorm.fold(text)
    spans = n.spans
    assert len(spans) == len(n.text)
    prev = 0
    for a, b in spans:
        assert 0 <= a < b <= len(text)
        assert a >= prev
        prev = a
    assert termnorm.fold(n.text).text == n.text, "normalization is idempotent"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(max_size=50).filter(lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s)),
        ),
        max_size=30,
    )
)
def test_batch_equals_per_string(texts):
    out = termnorm.fold_array(pa.array(texts, pa.string())).to_pylist()
    assert out == [None if t is None else termnorm.fold(t).text for t in texts]


def test_composite_mentions_split_into_conjuncts():
    from termnorm.variants import conjuncts

    assert conjuncts("breast and ovarian cancer") == ["breast cancer", "ovarian cancer"]
    assert conjuncts("prostatic, pancreas, skin, and lung cancer") == [
        "prostatic cancer",
        "pancreas cancer",
        "skin cancer",
        "lung cancer",
    ]
    assert conjuncts("breast/ovarian cancer") == ["breast cancer", "ovarian cancer"]
    assert conjuncts("spinocerebellar ataxias 1 and 2") == [
        "spinocerebellar ataxias 1",
        "spinocerebellar ataxias 2",
    ]
    assert conjuncts("hereditary breast cancer") == []
    assert conjuncts("type 1 and type 2 diabetes") == []  # modifiers of one word only


def test_definitions_inside_a_longer_parenthesis():
    from termnorm.abbreviations import definitions, may_define

    text = (
        "The Schwartz-Jampel syndrome (SJS; chondrodystrophic myotonia) is rare. Adult onset "
        "globoid cell leukodystrophy (Krabbe disease; AO-GLD) was studied (n = 12, p < 0.05). Late "
        "infantile globoid cell leukodystrophy (Krabbe; LI-GLD) is rarer."
    )
    assert definitions(text) == {
        "SJS": "Schwartz-Jampel syndrome",
        "AO-GLD": "Adult onset globoid cell leukodystrophy",
        "LI-GLD": "Late infantile globoid cell leukodystrophy",
    }
    assert may_define(text, {"ao-gld"}) and not may_define(text, {"dmd"})


def test_the_older_names_of_text_folding_still_work():
    assert termnorm.normalize is termnorm.fold and termnorm.normalize_array is termnorm.fold_array
