"""termnorm as a spaCy pipeline component.

    nlp = spacy.blank("en")
    nlp.add_pipe("termnorm", config={"ontology": "out/terminology"})
    doc = nlp("Pt denies chest pain. H/o HTN.")
    [(e.text, e.label_, e._.concept_id, e._.negated) for e in doc.ents]

Each mention becomes a span in `doc.spans["termnorm"]` (label: the concept ID) and, where it
does not clash with entities already set, in `doc.ents`. Span extensions: `concept_id`,
`concept_name`, `score`, `method`, `negated`, `uncertain`, `historical`, `family` (existing
extensions of those names, e.g. medspaCy's, are left alone). `nlp.pipe` hands the Rust engine
whole batches. The factory is registered through the `spacy_factories` entry point, so
`add_pipe("termnorm")` works without importing this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from termnorm.normalizer import Normalizer
from termnorm_utils.errors import InputError

EXTENSIONS = (
    "concept_id",
    "concept_name",
    "score",
    "method",
    "negated",
    "uncertain",
    "historical",
    "family",
)
SPAN_KEY = "termnorm"

for _name in EXTENSIONS:
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=None)


class TermnormComponent:
    def __init__(self, nlp: Language, name: str, ontology: str, vocabs: list[str] | None):
        self.name = name
        self.normalizer = Normalizer.load(ontology, vocabs)

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._annotate(batch)
                batch = []
        if batch:
            yield from self._annotate(batch)

    def _annotate(self, docs: list[Doc]) -> list[Doc]:
        rows = self.normalizer.normalize_batch([d.text for d in docs]).to_pylist()
        spans: list[list[Span]] = [[] for _ in docs]
        for r in rows:
            doc = docs[r["doc"]]
            span = doc.char_span(
                r["start"], r["end"], label=r["concept_id"], alignment_mode="expand"
            )
            if span is None:
                continue
            for ext in EXTENSIONS:
                value = r["name"] if ext == "concept_name" else r.get(ext)
                setattr(span._, ext, value)
            spans[r["doc"]].append(span)
        for doc, found in zip(docs, spans, strict=True):
            doc.spans[SPAN_KEY] = found
            taken = {i for e in doc.ents for i in range(e.start, e.end)}
            ours = [s for s in filter_spans(found) if not taken.intersection(range(s.start, s.end))]
            doc.ents = list(doc.ents) + ours
        return docs


@Language.factory("termnorm", default_config={"ontology": None, "vocabs": None})
def make_termnorm(
    nlp: Language, name: str, ontology: str | None, vocabs: list[str] | None
) -> TermnormComponent:
    if not ontology:
        raise InputError('the termnorm component needs config={"ontology": "<terminology dir>"}')
    return TermnormComponent(nlp, name, ontology, vocabs)
