"""WARC pages to text, side by side in one process: DataTrove's `WarcReader` (warcio) with its
`Trafilatura` extractor against termnorm's WARC reader (FastWARC + Resiliparse main-content
extraction), on the same files of ../shared/data/formats/warc.

    pip install -e '.[bench]'      # DataTrove, Trafilatura, python-magic
    python bench/bench_warc.py [--rounds 5] [--show 3]

Prints pages and MB of HTML per second for each (best round), the ratio, and the first chars of
a few pages as each extracted them, to judge the text as well as the speed.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import orjson

from corpus.readers import warc

FOLDER = Path(__file__).resolve().parents[2] / "shared" / "data" / "formats" / "warc"
FILES = (
    "cc-whirlwind.warc.gz",
    "pywb-iana-html.warc.gz",
    "warcio-example.warc.gz",
    "warcio-example-iana.org-chunked.warc",
)


def datatrove_pages() -> dict[str, str]:
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.utils.logging import logger

    logger.remove()  # a log line per file read
    from datatrove.pipeline.readers import WarcReader

    extractor = Trafilatura(favour_precision=True)
    out = {}
    for name in FILES:
        for doc in WarcReader(str(FOLDER), glob_pattern=name).run():
            out[doc.metadata["url"]] = extractor.extract(doc.text) or ""
    return out


def termnorm_pages() -> dict[str, str]:
    out = {}
    for name in FILES:
        for table, _ in warc.read(FOLDER / name, name, 10_000, Counter()):
            for row in table.select(["text", "meta"]).to_pylist():
                out[orjson.loads(row["meta"])["url"]] = row["text"]
    return out


def html_mb() -> float:
    """The HTML the pages hold (what both extract from), decoded."""
    from fastwarc.warc import ArchiveIterator

    total = 0
    for name in FILES:
        for r in ArchiveIterator(str(FOLDER / name), parse_http=True, fsspec_args=False):
            if str(r.record_type) == "response" and (r.http_content_type or "").startswith(
                "text/html"
            ):
                total += len(r.reader.read())
    return total / 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--show", type=int, default=3)
    args = ap.parse_args()
    mb = html_mb()
    best = {"datatrove": float("inf"), "termnorm": float("inf")}
    pages = {}
    for _ in range(args.rounds):
        for name, fn in (("datatrove", datatrove_pages), ("termnorm", termnorm_pages)):
            t = time.perf_counter()
            pages[name] = fn()
            best[name] = min(best[name], time.perf_counter() - t)
    n = {k: len(v) for k, v in pages.items()}
    for k, t in best.items():
        print(f"{k}: {n[k]} pages, {n[k] / t:.0f} pages/s, {mb / t:.2f} MB/s of HTML")
    print(f"ratio termnorm / datatrove: {best['datatrove'] / best['termnorm']:.1f}x")
    both = sorted(set(pages["datatrove"]) & set(pages["termnorm"]))
    words = {k: sum(len(pages[k][u].split()) for u in both) for k in pages}
    print(
        f"pages both read: {len(both)}; words kept: datatrove {words['datatrove']}, "
        f"termnorm {words['termnorm']}"
    )
    print(
        "words per page (datatrove / termnorm): "
        + ", ".join(
            f"{u.split('//')[1][:28]} {len(pages['datatrove'][u].split())}/"
            f"{len(pages['termnorm'][u].split())}"
            for u in both
        )
    )
    for url in both[: args.show]:
        print(f"\n== {url}")
        for k in pages:
            print(f"-- {k}: {' '.join(pages[k][url].split())[:300]!r}")


if __name__ == "__main__":
    main()
