"""PHI de-identification: HIPAA Safe Harbor identifier types that text can hold, English and
Chinese, replaced by typed placeholders; counts per type per document.

    texts, counts = deidentify(["Seen by Dr. Alice Moore on March 3, 2021."])
    # ["Seen by Dr. [NAME] on [DATE]."], counts: pa.Table with one column per type

Types: NAME (after titles, "Patient:", 患者/姓名), DATE (more specific than a year), PHONE
(and fax), EMAIL, URL, IP, SSN, ID (record, account, licence, device, plan numbers; 住院号,
门诊号, 病案号...), AGE (over 89), ADDRESS (street; 省/市/区/路/号), POSTCODE, ID_CARD (Chinese
resident ID, checksum verified). The rules are in `rust_ext/core/src/phi.rs`.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from termnorm import _native
from termnorm.text import _as_array

TYPES = ("NAME", "DATE", "PHONE", "EMAIL", "URL", "IP", "SSN", "ID", "AGE", "ADDRESS",
         "POSTCODE", "ID_CARD")


def deidentify(texts: pa.Array | pa.ChunkedArray | Iterable[str | None],
               surrogates: bool = False) -> tuple[pa.LargeStringArray, pa.Table]:
    """With `surrogates`, identifiers become realistic stand-ins of the same kind and shape
    instead of `[TYPE]`, the same value the same stand-in throughout a document (names, dates
    keeping their year, digit-for-digit numbers: `rust_ext/core/src/surrogates.rs`)."""
    out, counts = _native.phi_deidentify_array(_as_array(texts), surrogates)
    return out, pa.Table.from_struct_array(counts)
