"""A file's bytes as the readers take them: decompressed (gzip, zstd, known by their magic bytes
whatever the file is called) as far as the stream is whole, and transcoded to UTF-8.

    enc = detect(head(path))          # "gb18030"
    for chunk in utf8(path, enc): ... # UTF-8; raises Damaged after the last whole part of a cut file

A damaged or cut stream yields everything decompressed before the damage, then raises `Damaged`:
the readers keep the complete records before it and reject the rest as one record.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from isal import isal_zlib

from termnorm_utils.errors import InputError

BLOCK = 1 << 22  # decompressed bytes handed over at a time
_FEED = 1 << 16  # compressed bytes fed at a time: what a damaged block can take with it
_GZIP, _ZSTD = b"\x1f\x8b", b"\x28\xb5\x2f\xfd"
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class Damaged(Exception):
    """The stream cannot be read past this point."""


def compression(path: Path) -> str | None:
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic.startswith(_GZIP):
        return "gzip"
    if magic.startswith(_ZSTD):
        return "zstd"
    return None


def head(path: Path, size: int = 1 << 16) -> bytes:
    """About the first `size` decompressed bytes (fewer for a short or damaged file)."""
    try:
        return next(raw(path, size), b"")
    except Damaged:
        return b""


def raw(path: Path, block: int | None = None) -> Iterator[bytes]:
    """The decompressed bytes in chunks of about `block` (default `BLOCK`)."""
    block = block or BLOCK
    kind = compression(path)
    with open(path, "rb") as f:
        if kind is None:
            while chunk := f.read(block):
                yield chunk
            return
        held: list[bytes] = []
        size = 0
        try:
            for out in _gunzip(f) if kind == "gzip" else _unzstd(f):
                held.append(out)
                size += len(out)
                if size >= block:
                    yield b"".join(held)
                    held, size = [], 0
        except Damaged:
            if held:
                yield b"".join(held)
            raise
        if held:
            yield b"".join(held)


def _inflate(f: BinaryIO, new, error: type[Exception], name: str) -> Iterator[bytes]:
    """One decompressor per member (gzip) or frame (zstd), in turn."""
    d, fed = new(), False
    while data := f.read(_FEED):
        while data:
            try:
                out = d.decompress(data)
            except error as e:
                raise Damaged(f"damaged {name} data: {e}") from None
            fed = True
            if out:
                yield out
            if d.eof:
                data = d.unused_data
                d, fed = new(), False
            else:
                data = b""
    if fed:
        raise Damaged(f"the {name} stream is cut short")


def _gunzip(f: BinaryIO) -> Iterator[bytes]:
    return _inflate(f, lambda: isal_zlib.decompressobj(wbits=31), isal_zlib.error, "gzip")


def _unzstd(f: BinaryIO) -> Iterator[bytes]:
    import zstandard

    dctx = zstandard.ZstdDecompressor()
    return _inflate(f, dctx.decompressobj, zstandard.ZstdError, "zstd")


def detect(sample: bytes) -> str:
    """The encoding of text starting with `sample`: a BOM's; UTF-8 when it decodes (a char cut
    at the end of the sample aside), or when its valid multi-byte chars outnumber its invalid
    bytes or only a quarter of its lines or fewer hold invalid bytes (a UTF-8 file with damaged
    lines: those are the reader's rejects); else what `charset-normalizer` finds."""
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    for cut in range(4):  # a char cut at the end of the sample
        try:
            sample[: len(sample) - cut].decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError as e:
            if e.start < len(sample) - 4:
                break
    text = sample.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    valid = sum(1 for c in text if c > "\x7f" and c != "\ufffd")
    lines = text.splitlines() or [""]
    if valid >= bad or sum("\ufffd" in line for line in lines) <= 0.25 * len(lines):
        return "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise InputError("not text in any encoding that charset-normalizer knows")
    return codecs.lookup(best.encoding).name


def utf8(path: Path, encoding: str) -> Iterator[bytes]:
    """The file's text, in `encoding`, as chunks of UTF-8 (a UTF-8 BOM dropped)."""
    chunks = raw(path)
    first = next(chunks, b"")
    enc = codecs.lookup(encoding).name
    if enc in ("utf-8", "ascii", "utf-8-sig"):
        yield from _chain(first.removeprefix(codecs.BOM_UTF8), chunks)
        return
    decoder = codecs.getincrementaldecoder(enc)()
    done = 0  # bytes decoded before this chunk
    for chunk in _chain(first, chunks):
        try:
            out = decoder.decode(chunk)
        except UnicodeDecodeError as e:
            raise Damaged(f"not {enc} at byte {done + e.start}") from None
        done += len(chunk)
        if out:
            yield out.encode("utf-8")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise Damaged(f"the file ends inside a {enc} character") from None


class Reader:
    """The decompressed file as a file-like object (`read(n)`), for libraries that want one
    (tarfile's stream mode, FastWARC); a damaged stream raises `Damaged` from `read`."""

    def __init__(self, path: Path) -> None:
        self._chunks = raw(path)
        self._buf = bytearray()
        self._pos = 0
        self._done = 0  # bytes read before the buffer's start

    def tell(self) -> int:
        return self._done + self._pos

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buf) - self._pos < n:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            del self._buf[: self._pos]
            self._done += self._pos
            self._pos = 0
            self._buf += chunk
        end = len(self._buf) if n < 0 else min(len(self._buf), self._pos + n)
        out = bytes(self._buf[self._pos : end])
        self._pos = end
        return out


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest
