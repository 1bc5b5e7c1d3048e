"""The web-archive reader on the real files of ../shared/data/formats/warc: every record a page
or set aside with a count (against the record counts the folder's README gives), HTML main
content with its metadata, WET and ARC, a truncated record kept, a cut archive's prefix."""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import SHARED, need_shared, read_all

from corpus import catalog
from corpus.config import RunConfig
from corpus.readers import open_input, streams
from corpus.runner import run

WARC = SHARED / "formats" / "warc"
# records per file, from the folder's README
RECORDS = {
    "cc-whirlwind.warc.gz": 4,
    "cc-whirlwind.warc.wet.gz": 2,
    "cc-whirlwind.warc.wat.gz": 2,
    "pywb-iana-html.warc.gz": 287,
    "warcio-example.warc.gz": 6,
    "warcio-example-iana.org-chunked.warc": 3,
    "warcio-example-resource.warc.gz": 3,
    "warcio-example.arc.gz": 2,
    "warcio-example-trunc.warc": 4,
    "warcio-example-bad-non-chunked.warc.gz": 6,
}


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_every_record_is_a_page_or_set_aside(name):
    need_shared()
    opened, docs, rejects = read_all(WARC / name)
    assert opened.format == "warc" and not rejects
    assert len(docs) + sum(opened.skipped.values()) == RECORDS[name]
    for d in docs:
        meta = json.loads(d["meta"])
        assert meta["url"].startswith("http") and meta["date"][:2] == "20"
        assert meta["doc_type"] == "web page"
        assert "<" not in d["text"][:2000] and len(d["text"].split()) >= 20
        # ARC records have no ID: their line names them
        assert (
            d["id"].startswith("<urn:uuid:")
            if not name.endswith(".arc.gz")
            else (d["id"] is None and d["doc_id"] == f"{name}:{d['line']}")
        )


def test_revisits_redirects_and_requests_are_counted_notread_all():
    need_shared()
    opened, docs, _ = read_all(WARC / "pywb-iana-html.warc.gz")
    assert opened.skipped["revisit record"] == 123
    assert (
        opened.skipped["request record"]
        + opened.skipped["warcinfo record"]
        + len(docs)
        + sum(n for k, n in opened.skipped.items() if k.startswith("HTTP 3"))
        == 164
    )
    assert {json.loads(d["meta"])["http_status"] for d in docs} == {200}
    assert len(docs) == len({json.loads(d["meta"])["url"] for d in docs})


def test_the_same_page_from_warc_wet_and_its_language():
    need_shared()
    _, (html,), _ = read_all(WARC / "cc-whirlwind.warc.gz")
    _, (wet,), _ = read_all(WARC / "cc-whirlwind.warc.wet.gz")
    meta = json.loads(html["meta"])
    assert meta["url"] == json.loads(wet["meta"])["url"] == "https://an.wikipedia.org/wiki/Escopete"
    assert meta["html_lang"] == "an" and meta["charset"] == "utf-8"
    # main content: the article's words, fewer of the menus the WET text keeps
    assert "Castiella-La Mancha" in html["text"] and "Castiella-La Mancha" in wet["text"]
    assert "Menú principal" in wet["text"] and "Menú principal" not in html["text"]


def test_chunked_gzip_arc_and_truncated_payloads_are_decoded():
    need_shared()
    for name in (
        "warcio-example-iana.org-chunked.warc",
        "warcio-example.arc.gz",
        "warcio-example-trunc.warc",
        "warcio-example-bad-non-chunked.warc.gz",
    ):
        _, (doc,), _ = read_all(WARC / name)
        # what the page says, not its transfer or content encoding
        assert "illustrative examples" in doc["text"] or "Root Zone" in doc["text"], name


def test_a_cut_archive_keeps_the_records_before_the_cut(tmp_path):
    need_shared()
    data = (WARC / "pywb-iana-html.warc.gz").read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: len(data) // 2])
    whole = read_all(WARC / "pywb-iana-html.warc.gz")[1]
    got = []
    with pytest.raises(streams.Damaged, match="after record"):
        for table, _ in open_input(cut).batches:
            got += table.to_pylist()
    assert 0 < len(got) < len(whole)
    assert [d["text"] for d in got] == [d["text"] for d in whole[: len(got)]]
    assert gzip.decompress(data)  # the whole file was whole


def test_a_run_over_the_web_archives(tmp_path, sample_terminology):
    need_shared()
    out = tmp_path / "out"
    s = run(
        RunConfig(
            inputs=(str(WARC),), out=str(out), ontology=str(sample_terminology), allow_rejects=True
        )
    )
    assert s.records + s.not_documents == sum(RECORDS.values())
    pages = catalog.query(
        out,
        "SELECT count(*) AS n, count(DISTINCT meta->>'$.url') AS urls "
        "FROM docs WHERE doc_type = 'web page'",
    ).to_pylist()[0]
    assert pages["n"] == s.docs and pages["urls"] >= 18
