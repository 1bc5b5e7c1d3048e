"""The Normalizer: text in, normalized text and concept mentions out (English and Chinese).

    nz = Normalizer.load("out/terminology")
    nz.normalize("Pt denies chest pain. H/o HTN.")      # -> Result(text, mentions)
    nz.normalize_batch(texts)                            # -> pyarrow.Table, one row per mention
    nz.map("type II diabetes", k=5)                      # -> ranked candidates
    nz.learn([("DM2", "MESH:D003924")])                  # approved pairs, used at once

Every span is in original character offsets (Python string indices).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from ontology import store
from ontology.schema import SYNONYM_KINDS
from termnorm import learned, lexicon
from termnorm.abbreviations import defined_forms, definitions, expand, may_define
from termnorm.senses import Expansion, SenseInventory
from termnorm.text import fold, fold_array
from termnorm.variants import conjuncts, variants
from termnorm_utils.arrow import as_array
from termnorm_utils.errors import InputError

VARIANT_SCORE = 0.97  # a spelling or head-noun variant's term: above a fuzzy neighbour
KIND_SCORE = {
    "preferred": 1.0,
    "exact": 1.0,
    "learned": 1.0,
    "abbreviation": 0.9,
    "layperson": 0.95,
    "related": 0.9,
    "narrow": 0.85,
    "broad": 0.8,
}


@dataclass(slots=True, unsafe_hash=True)
class Mention:
    """A concept mention. Not frozen: a frozen dataclass sets each field through
    `object.__setattr__`, eight times slower to build; hashable all the same."""

    start: int
    end: int
    surface: str
    concept_id: str
    name: str | None
    score: float
    negated: bool
    uncertain: bool
    historical: bool
    family: bool
    method: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Result:
    text: str
    mentions: list[Mention]


@dataclass(frozen=True)
class Candidate:
    concept_id: str
    name: str | None
    term: str
    score: float
    method: str


def _read_rules(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{path}: not valid UTF-8 (byte {e.start}); save the rules as UTF-8"
        ) from e


class Normalizer:
    def __init__(
        self,
        terminology: store.Terminology,
        engine,
        vocabs: list[str] | None,
        context_rules: Sequence[str | Path] = (),
    ):
        self.terminology = terminology
        self.folder = terminology.folder
        self.vocabs = vocabs
        self._engine = engine
        self._context = [(str(p), _read_rules(Path(p))) for p in context_rules]
        self._votes = learned.counts(())  # pairs given to `learn` and not saved
        self._senses: SenseInventory | None = None
        self._refresh()

    @classmethod
    def load(
        cls,
        terminology: str | Path | store.Terminology,
        vocabs: Sequence[str] | None = None,
        context_rules: Sequence[str | Path] = (),
    ) -> Normalizer:
        """Open a built terminology (a folder, or a `Terminology` already open); compiles (and
        caches) its lexicon on first use.
        `context_rules`: JSON files of negation / uncertainty / history / family triggers
        (medspaCy's `context_rules.json` shape), added to the built-in
        `termnorm/rules/context_{en,zh}.json`."""
        terminology = store.Terminology.open(terminology)
        vocabs = list(vocabs) if vocabs else None
        engine = lexicon.load_or_compile(terminology, vocabs)
        return cls(terminology, engine, vocabs, context_rules)

    def _refresh(self) -> None:
        # The engine's concept IDs and names, as Arrow arrays straight from the lexicon; as
        # Python lists (260k strings each) only once a one-text call needs them.
        self._concepts = self._engine.concept_ids
        self._concept_names = self._engine.concept_names
        for lazy in ("_ids", "_names"):
            self.__dict__.pop(lazy, None)
        # (abbreviation long form, lexicon term) -> concept index
        self._long_forms: dict[tuple[str, int], int | None] = {}
        # concept ID -> index, for every candidate `_ranked` has made
        self._index: dict[str, int] = {}
        self._kind_scores = pa.array([KIND_SCORE[k] for k in SYNONYM_KINDS], pa.float64())
        self._kind_methods = pa.array([_method(k) for k in SYNONYM_KINDS], pa.string())
        if self._senses is not None:
            self._engine.use_senses(self._senses.table, self._senses.concepts(self._engine))
        if self._context:
            try:
                self._engine.use_context(self._context)
            except ValueError as e:  # a user's rule file: the message names it and the rule
                raise InputError(str(e)) from None

    @cached_property
    def _ids(self) -> list[str]:
        return self._concepts.to_pylist()

    @cached_property
    def _names(self) -> list[str | None]:
        return self._concept_names.to_pylist()

    # --- learning -------------------------------------------------------------------------
    def learn(
        self, pairs: Iterable[tuple[str, str]], save: bool = False, source: str = "python"
    ) -> int:
        """Add approved (mention, concept_id) pairs, used at once: each mention goes to the
        concept most of its pairs give, and a term of the terminology moves only on strong
        evidence (`termnorm.learned`). `save`: add them to the terminology folder's `learned`
        source, for every later `Normalizer.load`, `normalize` and corpus run. Returns how many
        mentions the learned source gained."""
        pairs = list(pairs)
        before = self._decided().height
        if save:
            learned.save(self.folder, pairs, source)
            self.terminology = store.Terminology(self.folder)  # its manifest changed
        else:
            self._votes = learned.merged(self._votes, learned.counts(pairs))
        if self._votes.height:  # votes not in the folder: a lexicon of this process's own
            self._engine = lexicon.build_engine(
                *lexicon.select_rows(self.terminology, self.vocabs, pairs=self._decided())
            )
        else:  # the folder's lexicon, compiled once and cached for every later load
            self._engine = lexicon.load_or_compile(self.terminology, self.vocabs)
        self._refresh()
        return self._decided().height - before

    def _decided(self) -> pl.DataFrame:
        """The learned pairs in use: the folder's saved votes plus this session's."""
        return learned.decide(
            learned.merged(learned.raw_votes(self.folder), self._votes), self.folder
        )

    # --- mapping one mention ----------------------------------------------------------------
    def map(
        self, mention: str, k: int = 5, threshold: float = 0.6, context: str | None = None
    ) -> list[Candidate]:
        """Ranked candidate concepts for one mention: the exact normalized term's concepts
        first, else those of its first lexical variant that is a term (British spelling,
        possessive, the head noun's family: `termnorm.variants`), method "variant", else each
        conjunct's of a composite mention ("breast and ovarian cancer"), "composite"; then fuzzy
        neighbours (word order, plurals, punctuation, typos) scoring at least
        `threshold`; one candidate per concept. With `context` (the mention's document), short
        forms defined there ("Duchenne muscular dystrophy (DMD)") are mapped by their long form.
        When nothing matches the whole mention closely (no exact term, fuzzy score under
        0.85), the longest term inside it competes too, rightmost on a tie (the head of an
        English noun phrase: "familial bilateral retinoblastoma"), with method "partial" and a
        score of 0.5 plus half the share of the mention it covers.
        """
        if context:
            long_form = expand(mention, definitions(context))
            if long_form:
                found = self.map(long_form, k, threshold)
                if found:
                    return [
                        Candidate(c.concept_id, c.name, c.term, c.score, "abbreviation")
                        for c in found
                    ]
        norm = fold(mention).text
        if not norm:
            return []
        return self._with_partial(
            mention, self._ranked(norm, self._engine.fuzzy(norm, k, threshold), k), k
        )

    def _with_partial(self, mention: str, found: list[Candidate], k: int) -> list[Candidate]:
        if found and (found[0].method != "fuzzy" or found[0].score >= 0.85):
            return found
        seen = {c.concept_id for c in found}
        found += [c for c in self._partial(mention, k) if c.concept_id not in seen]
        found.sort(key=lambda c: -c.score)  # stable
        return found[:k]

    def _partial(self, mention: str, k: int) -> list[Candidate]:
        inner = [m for m in self.normalize(mention).mentions if m.method != "abbreviation"]
        if not inner:
            return []
        best = max(inner, key=lambda m: (m.end - m.start, m.start))
        weight = 0.5 + 0.5 * (best.end - best.start) / len(mention.strip())
        return [
            Candidate(c.concept_id, c.name, c.term, round(c.score * weight, 4), "partial")
            for c in self.map(best.surface, k)
            if c.method != "partial"
        ]

    def map_batch(
        self, mentions: Sequence[str], k: int = 1, threshold: float = 0.6
    ) -> list[list[Candidate]]:
        """`map` for many mentions, one call into Rust for the fuzzy part (no `context`)."""
        norms = fold_array(list(mentions)).to_pylist()
        hits = self._engine.fuzzy_many([n or "" for n in norms], k, threshold)
        return [
            self._with_partial(m, self._ranked(n, h, k), k) if n else []
            for m, n, h in zip(mentions, norms, hits, strict=True)
        ]

    def _ranked(self, norm: str, fuzzy: list[tuple[int, float]], k: int) -> list[Candidate]:
        """The exact normalized term's concepts, then the fuzzy neighbours; one candidate per
        concept, weighted by synonym kind."""
        out: list[Candidate] = []
        seen: set[str] = set()

        def add(term: int, score: float, method: str) -> None:
            for concept, kind in self._engine.entries(term):
                cid = self._ids[concept]
                if cid in seen:
                    continue
                seen.add(cid)
                self._index[cid] = concept
                kname = SYNONYM_KINDS[kind]
                m = "learned" if kname == "learned" else method
                out.append(
                    Candidate(
                        cid,
                        self._names[concept],
                        self._engine.term(term),
                        round(score * KIND_SCORE[kname], 4),
                        m,
                    )
                )

        t, method = self._term_of(norm)
        if t is not None:
            add(t, 1.0 if method == "exact" else VARIANT_SCORE, method)
        else:  # a composite mention: each conjunct's concept ("breast and ovarian cancer")
            for part in conjuncts(norm):
                if (c := self._term_of(part)[0]) is not None:
                    add(c, VARIANT_SCORE, "composite")
        for term, score in fuzzy:
            if term != t:
                add(term, score, "fuzzy")
        out.sort(key=lambda c: -c.score)  # stable: ties keep vocabulary preference
        return out[:k]

    def _term_of(self, norm: str) -> tuple[int | None, str]:
        """The lexicon term of a normalized mention, "exact", or of its first lexical variant
        that is one, "variant"."""
        t = self._engine.lookup(norm)
        if t is not None:
            return t, "exact"
        hit = next((v for v in map(self._engine.lookup, variants(norm)) if v is not None), None)
        return hit, "variant"

    # --- whole texts ------------------------------------------------------------------------
    def normalize(self, text: str) -> Result:
        self.senses  # noqa: B018  (the engine chooses abbreviation senses once they are loaded)
        norm, found = self._engine.annotate(text)
        mentions = []
        defs: dict[str, str] | None = None  # the text's own definitions, parsed once if needed
        for m in found:
            start, end, term, concept, kind = m.start, m.end, m.term, m.concept, m.kind
            kname = SYNONYM_KINDS[kind]
            if kname == "abbreviation":
                defs = defined_forms(text) if defs is None else defs
                long = defs.get(text[start:end].lower())
                if long and (defined := self._defined_concept(long, term)) is not None:
                    concept = defined
            mentions.append(
                Mention(
                    start,
                    end,
                    text[start:end],
                    self._ids[concept],
                    self._names[concept],
                    KIND_SCORE[kname],
                    m.negated,
                    m.uncertain,
                    m.historical,
                    m.family,
                    _method(kname),
                )
            )
        return Result(norm, mentions)

    # --- abbreviations --------------------------------------------------------------------
    @property
    def senses(self) -> SenseInventory:
        """Abbreviation senses: the terminology's abbreviation synonyms plus clinical shorthand
        (loaded on first use)."""
        if self._senses is None:
            self._senses = SenseInventory.from_terminology(self.terminology)
            self._engine.use_senses(self._senses.table, self._senses.concepts(self._engine))
        return self._senses

    def expand(self, text: str) -> tuple[str, list[Expansion]]:
        """The normalized text with every abbreviation written out by the sense chosen for this
        document, and the expansions made (offsets in `text`)."""
        expanded, exps = self.senses.expand(text)
        return fold(expanded).text, exps

    def _defined_concept(self, long: str, term: int) -> int | None:
        """The concept of an abbreviation the document defines ("long form (SF)"): its long form
        mapped, a concept the terminology itself gives the abbreviation first. Returns the
        concept's index. (Other abbreviations carry their chosen sense's concept from Rust.)"""
        key = (long, term)
        if key not in self._long_forms:
            exact = self._engine.lookup(fold(long).text)
            cands = (
                [c for c, _ in self._engine.entries(exact)]
                if exact is not None
                else [self._index[c.concept_id] for c in self.map(long, k=3)]
            )
            own = {c for c, _ in self._engine.entries(term)}
            self._long_forms[key] = next(
                (c for c in cands if c in own), cands[0] if cands else None
            )
        return self._long_forms[key]

    def normalize_batch(self, texts: pa.Array | pa.ChunkedArray | Iterable[str | None]) -> pa.Table:
        """One call into Rust for the whole batch. One row per mention: `doc` (index into
        `texts`), start, end (original char offsets), surface, concept_id, name, score, negated,
        uncertain, historical, family, method."""
        return self.normalize_batch_keyed(texts)[0]

    def normalize_batch_keyed(
        self, texts: pa.Array | pa.ChunkedArray | Iterable[str | None], encoded: bool = False
    ) -> tuple[pa.Table, pa.FixedSizeBinaryArray]:
        """`normalize_batch`, and each text's exact-duplicate key (the 16-byte hash of its
        normalized text that `corpus.dedup` compares) from the same pass: a corpus run needs
        both, and normalizing is a fifth of the annotation's time. `encoded`: surface,
        concept_id, name, score and method as dictionary arrays of the values used (no string
        copied per mention; Parquet stores them as dictionary pages anyway)."""
        arr = as_array(texts)
        self.senses  # noqa: B018  (the engine chooses abbreviation senses once they are loaded)
        found, keys = self._engine.annotate_array(arr)
        m = pa.Table.from_struct_array(found)
        kind = m.column("kind")
        concept = m.column("concept")
        abbr = pc.equal(kind, SYNONYM_KINDS.index("abbreviation"))
        if pc.any(abbr).as_py():
            concept = self._resolve_abbreviations(arr, m, abbr)
        look_up = dictionary_of if encoded else (lambda i, values: pc.take(values, i))
        table = pa.table(
            {
                "doc": m.column("doc"),
                "start": m.column("start"),
                "end": m.column("end"),
                "surface": (
                    pc.dictionary_encode(m.column("surface").combine_chunks())
                    if encoded
                    else m.column("surface")
                ),
                "concept_id": look_up(concept, self._concepts),
                "name": look_up(concept, self._concept_names),
                "score": look_up(kind, self._kind_scores),
                "negated": m.column("negated"),
                "uncertain": m.column("uncertain"),
                "historical": m.column("historical"),
                "family": m.column("family"),
                "method": look_up(kind, self._kind_methods),
            }
        )
        return table, keys

    def _resolve_abbreviations(self, arr: pa.Array, m: pa.Table, abbr: pa.ChunkedArray) -> pa.Array:
        """The `concept` column (indices) with the abbreviation rows that their document
        defines mapped through their long forms."""
        rows = pc.indices_nonzero(abbr).to_pylist()
        sub = m.take(rows).select(["doc", "surface", "term"]).to_pylist()
        concept = m.column("concept").to_numpy().copy()
        shorts: dict[int, set[str]] = {}  # per document: its abbreviations
        for r in sub:
            shorts.setdefault(r["doc"], set()).add(r["surface"].lower())
        defs: dict[int, dict[str, str]] = {}  # per document: its own definitions, parsed only
        for doc, own in shorts.items():  # where one of them may be defined
            text = arr[doc].as_py()
            defs[doc] = defined_forms(text) if may_define(text, own) else {}
        for i, r in zip(rows, sub, strict=True):
            long = defs[r["doc"]].get(r["surface"].lower())
            if long and (defined := self._defined_concept(long, r["term"])) is not None:
                concept[i] = defined
        return pa.array(concept, pa.uint32())


def dictionary_of(
    indices: pa.Array | pa.ChunkedArray | np.ndarray, values: pa.Array
) -> pa.DictionaryArray:
    """`values[indices]` as a dictionary array of the distinct values used, in their order in
    `values`: no unused entry is stored, and no value twice (a Parquet writer given a
    dictionary with repeats falls back to a plain page that is not the same bytes each run)."""
    idx = np.asarray(indices, dtype=np.int64)
    used = np.bincount(idx, minlength=len(values)) > 0
    distinct = pc.dictionary_encode(values.filter(pa.array(used)), null_encoding="encode")
    new = np.zeros(len(values), np.int32)
    new[used] = distinct.indices.to_numpy()
    return pa.DictionaryArray.from_arrays(pa.array(new[idx]), distinct.dictionary)


def _method(kind: str) -> str:
    return kind if kind in ("learned", "abbreviation") else "exact"
