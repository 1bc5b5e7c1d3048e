"""Every source format of ../shared/data/formats in one run: the same bytes out with one worker
or two, and one catalog to select from by source, licence and MeSH heading."""

from __future__ import annotations

import pytest
from conftest import SHARED, need_shared

from corpus import catalog
from corpus.config import RunConfig
from corpus.runner import run

FORMATS = SHARED / "formats"
SOURCES = ("medline-xml", "pmc-jats", "fhir", "warc")


@pytest.fixture(scope="module")
def runs(tmp_path_factory, sample_terminology):
    need_shared()
    root = tmp_path_factory.mktemp("sources")
    for workers in (1, 2):
        run(
            RunConfig(
                inputs=tuple(str(FORMATS / s) for s in SOURCES),
                out=str(root / f"w{workers}"),
                ontology=str(sample_terminology),
                workers=workers,
                allow_rejects=True,
            ).with_values({"phi.salt": "a salt of this site"})
        )
    return root


def test_one_worker_or_two_give_the_same_bytes(runs):
    one, two = runs / "w1", runs / "w2"
    files = sorted(
        p.relative_to(one) for p in one.rglob("*.parquet") if p.name != "runs.parquet"
    )  # the run log: its time and worker count
    assert len(files) > 40
    assert files == sorted(
        p.relative_to(two) for p in two.rglob("*.parquet") if p.name != "runs.parquet"
    )
    assert [f for f in files if (one / f).read_bytes() != (two / f).read_bytes()] == []


def test_one_catalog_selects_by_source_licence_and_mesh(runs):
    out = runs / "w1"
    by_kind = {
        r["kind"]: r["n"]
        for r in catalog.query(
            out,
            """
        SELECT split_part(source, '/', 1) AS kind, count(*) AS n FROM docs
        WHERE dup_of IS NULL AND withdrawn IS NULL GROUP BY 1""",
        ).to_pylist()
    }
    assert set(by_kind) == set(SOURCES) and by_kind["medline-xml"] == 61
    open_licence = (
        catalog.query(out, "SELECT count(*) AS n FROM docs WHERE meta->>'$.license' LIKE 'CC BY%'")
        .column("n")[0]
        .as_py()
    )
    assert open_licence == 5
    asthma = catalog.query(
        out,
        "SELECT DISTINCT d.id FROM doc_concepts h JOIN docs d "
        "USING (doc_id) WHERE h.concept_id = 'MESH:D001249'",
    ).to_pylist()
    assert asthma == [{"id": "29768149"}]
