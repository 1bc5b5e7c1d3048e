"""The `Terminology` handle: a built folder opened and checked once, and passed down."""

import polars as pl
import pytest

from ontology.errors import SourceError
from ontology.graph import IsA
from ontology.store import Terminology


def test_a_folder_that_is_not_built_is_one_error_naming_it(tmp_path):
    with pytest.raises(SourceError, match="not a built terminology") as e:
        Terminology(tmp_path)
    assert str(tmp_path) in str(e.value)


def test_a_handle_is_the_folder_in_one_state(sample_terminology):
    t = Terminology.open(sample_terminology)
    assert Terminology.open(t) is t  # passed down, not opened again
    assert str(t) == str(sample_terminology) and t.scan("concepts").collect().height > 0
    assert t == Terminology(sample_terminology) and len({t, Terminology(sample_terminology)}) == 1


def test_learning_into_the_folder_makes_a_new_state(sample_terminology, tmp_path):
    import shutil

    from termnorm.normalizer import Normalizer

    folder = tmp_path / "t"
    shutil.copytree(sample_terminology, folder)
    before = Terminology(folder)
    nz = Normalizer.load(before)
    assert nz.terminology is before
    nz.learn([("sugar disease", "ICD10CM:E11.9")], save=True)
    assert nz.terminology != before and nz.terminology == Terminology(folder)
    assert nz.map("sugar disease", k=1)[0].concept_id == "ICD10CM:E11.9"


def test_is_a_subtrees_are_the_networkx_descendants(sample_terminology):
    import networkx as nx

    relations = Terminology(sample_terminology).scan("relations").collect()
    is_a = relations.filter(pl.col("rel") == "is_a")
    graph = nx.DiGraph(zip(is_a["dst"], is_a["src"], strict=True))
    tree = IsA(relations)
    roots = sorted(set(is_a["dst"]))
    assert len(roots) > 10
    for root in roots:
        got = set(tree.nodes.filter(pl.Series(tree.under([root]))))
        assert got == nx.descendants(graph, root) | {root}, root
    assert not tree.under(["NOT:A-CONCEPT"]).any()
