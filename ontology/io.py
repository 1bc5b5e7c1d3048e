"""Reading source files: gzip or plain, strict UTF-8, errors that name the file and the line."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from ontology.errors import SourceError


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes (gunzipped when it is gzip), checked to be valid UTF-8."""
    path = Path(path)
    if not path.exists():
        raise SourceError(path, None, "no such file or directory")
    if path.is_dir():
        raise SourceError(path, None, "is a directory, expected a file")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise SourceError(path, None, f"corrupt gzip data: {e}") from None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise SourceError(
            path, line, f"not valid UTF-8 (byte 0x{raw[e.start]:02x}); convert the file to UTF-8"
        ) from None
    return raw.removeprefix(b"\xef\xbb\xbf")


def read_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """(line number, line without its newline) for each line of the file."""
    text = read_bytes(path).decode("utf-8")
    # split on \n only: str.splitlines() also splits on \x1c, \x85, U+2028..., which would make
    # our line numbers disagree with every editor's.
    for i, line in enumerate(text.split("\n"), start=1):
        yield i, line.removesuffix("\r")


def read_folder_table(folder: Path, name: str, columns: list[str], what: str) -> pl.DataFrame:
    """`columns` of the tab-separated file `name` in a source folder; without that file the
    error says the folder is not `what`."""
    path = folder / name
    if not path.exists():
        raise SourceError(folder, None, f"not {what}: {name} is missing")
    return read_table(path, columns, separator="\t").select(columns)


def read_table(
    path: str | Path,
    required: list[str],
    *,
    separator: str | None = None,
    has_header: bool = True,
    columns: list[str] | None = None,
    quote_char: str | None = None,
) -> pl.DataFrame:
    """A delimited file as an all-string DataFrame, after checking encoding and required columns.

    The separator is guessed from the header (tab, comma or pipe) unless given. Rows with the wrong
    number of cells are reported with their line number.
    """
    raw = read_bytes(path)
    first = raw.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    if not first.strip():
        raise SourceError(path, 1, "empty file or empty header line")
    if separator is None:
        separator = max(["\t", ",", "|"], key=first.count)
    if has_header:
        header = next(csv.reader([first], delimiter=separator, quotechar=quote_char or '"'))
        missing = [c for c in required if c not in header]
        if missing:
            raise SourceError(
                path,
                1,
                f"missing column(s) {', '.join(missing)}; the header has {', '.join(header)}",
            )
    _check_cell_counts(path, raw, separator, quote_char)
    try:
        df = pl.read_csv(
            raw,
            separator=separator,
            has_header=has_header,
            new_columns=columns,
            infer_schema=False,
            quote_char=quote_char,
            truncate_ragged_lines=False,
        )
    except pl.exceptions.PolarsError as e:
        raise SourceError(path, None, f"cannot parse as a table: {e}") from None
    return df


def _check_cell_counts(path, raw: bytes, sep: str, quote_char: str | None) -> None:
    """Name the first line whose cell count differs from the header's (polars would not say)."""
    text = raw.decode("utf-8")
    if quote_char is None:
        want = None
        for i, line in enumerate(text.split("\n"), start=1):
            if not line:
                continue
            n = line.count(sep) + 1
            if want is None:
                want = n
            elif n != want:
                raise SourceError(path, i, f"expected {want} cells separated by {sep!r}, found {n}")
        return
    reader = csv.reader(io.StringIO(text), delimiter=sep, quotechar=quote_char, strict=True)
    want = None
    try:
        for row in reader:
            if not row:
                continue
            if want is None:
                want = len(row)
            elif len(row) != want:
                raise SourceError(
                    path,
                    reader.line_num,
                    f"expected {want} cells separated by {sep!r}, found {len(row)}",
                )
    except csv.Error as e:
        raise SourceError(path, reader.line_num, f"malformed quoting: {e}") from None
