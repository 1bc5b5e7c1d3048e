//! The matcher the Normalizer drives: `Engine` (lexicon, context rules, abbreviation senses,
//! fuzzy index; see termnorm-core `annotate`). Mentions cross as one struct-array layout.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use arrow_array::builder::{
    BooleanBuilder, FixedSizeBinaryBuilder, StringBuilder, UInt32Builder, UInt8Builder,
};
use arrow_array::types::{UInt32Type, UInt8Type};
use arrow_array::{Array, ArrayRef, StringArray};
use arrow_data::ArrayData;
use arrow_pyarrow::PyArrowType;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use termnorm_core::files::write_synced;
use termnorm_core::{minhash, Annotation, CharBytes, Context, Engine, FuzzyIndex, Lexicon};

use crate::arrow::{primitive, struct_of, with_strings};
use crate::error::{file_error, value_error};
use crate::senses::PySenseTable;

#[pyclass(module = "termnorm._native", name = "Engine")]
struct PyEngine {
    engine: Engine,
    /// Built on first use: most callers only annotate.
    fuzzy: OnceLock<FuzzyIndex>,
    /// Where the fuzzy index is read from, or written to once built (beside the lexicon).
    fuzzy_cache: Option<PathBuf>,
}

/// One mention of one text, by name (what `annotate` returns; a batch's mentions are columns).
#[pyclass(
    module = "termnorm._native",
    name = "Mention",
    frozen,
    get_all,
    freelist = 256
)]
struct PyMention {
    /// Original char offsets.
    start: u32,
    end: u32,
    /// The lexicon term and the concept (indices into the lexicon's terms and `concept_ids`).
    term: u32,
    concept: u32,
    /// Index into `SYNONYM_KINDS`.
    kind: u8,
    negated: bool,
    uncertain: bool,
    historical: bool,
    family: bool,
    /// The abbreviation sense chosen, if any.
    sense: Option<u32>,
}

/// The mentions of a batch as columns: `doc` (index of the text), `start`, `end` (original char
/// offsets), `surface`, `term`, `concept`, `kind`, `sense` (null where none was chosen) and the
/// context flags.
#[derive(Default)]
struct MentionColumns {
    doc: UInt32Builder,
    start: UInt32Builder,
    end: UInt32Builder,
    surface: StringBuilder, // short spans: 32-bit offsets
    term: UInt32Builder,
    concept: UInt32Builder,
    kind: UInt8Builder,
    sense: UInt32Builder,
    flags: [BooleanBuilder; 4],
}

impl MentionColumns {
    fn push(&mut self, engine: &Engine, doc: u32, text: &str, ann: &Annotation) {
        let mut bytes = CharBytes::new(text);
        for m in &ann.mentions {
            let (concept, kind) = engine.concept_and_kind(m);
            let (bs, be) = (bytes.byte(m.start), bytes.byte(m.end));
            self.surface.append_value(&text[bs..be]);
            self.doc.append_value(doc);
            self.start.append_value(m.start);
            self.end.append_value(m.end);
            self.term.append_value(m.term);
            self.concept.append_value(concept);
            self.kind.append_value(kind);
            self.sense.append_option(m.sense);
            let f = m.flags;
            for (b, v) in
                self.flags
                    .iter_mut()
                    .zip([f.negated, f.uncertain, f.historical, f.family])
            {
                b.append_value(v);
            }
        }
    }

    fn finish(mut self) -> ArrayData {
        let mut cols: Vec<(&str, ArrayRef)> = vec![
            ("doc", Arc::new(self.doc.finish())),
            ("start", Arc::new(self.start.finish())),
            ("end", Arc::new(self.end.finish())),
            ("surface", Arc::new(self.surface.finish())),
            ("term", Arc::new(self.term.finish())),
            ("concept", Arc::new(self.concept.finish())),
            ("kind", Arc::new(self.kind.finish())),
            ("sense", Arc::new(self.sense.finish())),
        ];
        for (name, b) in ["negated", "uncertain", "historical", "family"]
            .into_iter()
            .zip(self.flags.iter_mut())
        {
            cols.push((name, Arc::new(b.finish())));
        }
        struct_of(cols, &["sense"])
    }
}

impl PyEngine {
    fn from_lexicon(lexicon: Lexicon) -> Self {
        PyEngine {
            engine: Engine::new(lexicon, Context::with_defaults()),
            fuzzy: OnceLock::new(),
            fuzzy_cache: None,
        }
    }

    fn fuzzy_index(&self) -> &FuzzyIndex {
        self.fuzzy
            .get_or_init(|| FuzzyIndex::cached(&self.engine.lexicon, self.fuzzy_cache.as_deref()))
    }

    fn check_term(&self, term: u32) -> PyResult<()> {
        if term as usize >= self.engine.lexicon.len() {
            return Err(PyValueError::new_err(format!("no term {term}")));
        }
        Ok(())
    }
}

#[pymethods]
impl PyEngine {
    /// Build from concept IDs and parallel arrays of normalized terms, concept indices (uint32)
    /// and kinds (uint8, index into `SYNONYM_KINDS`); `names`: each concept's name, if given.
    #[staticmethod]
    #[pyo3(signature = (concepts, terms, concept_index, kinds, names=None))]
    fn build(
        py: Python<'_>,
        concepts: Vec<String>,
        terms: PyArrowType<ArrayData>,
        concept_index: PyArrowType<ArrayData>,
        kinds: PyArrowType<ArrayData>,
        names: Option<Vec<Option<String>>>,
    ) -> PyResult<Self> {
        let ci = primitive::<UInt32Type>(concept_index.0, "concept_index must be a uint32 array")?;
        let ki = primitive::<UInt8Type>(kinds.0, "kinds must be a uint8 array")?;
        py.detach(|| {
            with_strings(terms.0, |it| {
                let rows: Vec<(String, u32, u8)> = it
                    .zip(ci.iter().zip(ki.iter()))
                    .filter_map(|(t, (c, k))| Some((t?.to_string(), c?, k?)))
                    .collect();
                let lexicon = Lexicon::new(concepts, rows)?;
                match names {
                    Some(n) => lexicon.with_names(
                        &n.into_iter()
                            .map(Option::unwrap_or_default)
                            .collect::<Vec<_>>(),
                    ),
                    None => Ok(lexicon),
                }
            })?
            .map_err(value_error)
            .map(PyEngine::from_lexicon)
        })
    }

    /// Open a lexicon file written by `save` (mapped: its tables are used in place).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        py.detach(|| {
            Lexicon::open(&path)
                .map(PyEngine::from_lexicon)
                .map_err(|e| file_error(&path, e))
        })
    }

    /// Write the lexicon to `path` (the caller renames it into place).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| write_synced(&path, |w| self.engine.lexicon.write_to(w)))
            .map_err(|e| file_error(&path, e))
    }

    /// The concept IDs as an Arrow array (no Python string per concept).
    #[getter]
    fn concept_ids(&self) -> PyArrowType<ArrayData> {
        let ids = self.engine.lexicon.concepts().iter();
        PyArrowType(StringArray::from_iter_values(ids).into_data())
    }

    /// Each concept's name, null where it has none, parallel to `concept_ids`.
    #[getter]
    fn concept_names(&self) -> PyArrowType<ArrayData> {
        let names = self.engine.lexicon.names().iter();
        PyArrowType(StringArray::from_iter(names.map(|n| (!n.is_empty()).then_some(n))).into_data())
    }

    fn __len__(&self) -> usize {
        self.engine.lexicon.len()
    }

    fn term(&self, term: u32) -> PyResult<String> {
        self.check_term(term)?;
        Ok(self.engine.lexicon.term(term).to_string())
    }

    /// `(concept index, kind)` of a term, strongest first.
    fn entries(&self, term: u32) -> PyResult<Vec<(u32, u8)>> {
        self.check_term(term)?;
        let entries = self.engine.lexicon.entries(term).iter();
        Ok(entries.map(|e| (e.concept, e.kind)).collect())
    }

    /// Up to `k` `(term, score)` similar to the normalized mention `norm_term`, best first:
    /// equal order/inflection-insensitive keys score 1.0, trigram neighbours less.
    #[pyo3(signature = (norm_term, k=5, threshold=0.5))]
    fn fuzzy(&self, py: Python<'_>, norm_term: &str, k: usize, threshold: f64) -> Vec<(u32, f64)> {
        py.detach(|| {
            let hits = self.fuzzy_index().search(norm_term, k, threshold);
            hits.into_iter().map(|h| (h.term, h.score)).collect()
        })
    }

    /// `fuzzy` over a list of mentions at once.
    #[pyo3(signature = (norm_terms, k=5, threshold=0.5))]
    fn fuzzy_many(
        &self,
        py: Python<'_>,
        norm_terms: Vec<String>,
        k: usize,
        threshold: f64,
    ) -> Vec<Vec<(u32, f64)>> {
        py.detach(|| {
            let idx = self.fuzzy_index();
            let hits = |t: &String| idx.search(t, k, threshold).into_iter();
            norm_terms
                .iter()
                .map(|t| hits(t).map(|h| (h.term, h.score)).collect())
                .collect()
        })
    }

    /// Index of an exact normalized term, or None.
    fn lookup(&self, norm_term: &str) -> Option<u32> {
        self.engine.lexicon.lookup(norm_term)
    }

    /// Keep the fuzzy index in `path`: read from there when first needed, written there
    /// (atomically) when it had to be built.
    fn use_fuzzy_cache(&mut self, path: PathBuf) {
        self.fuzzy_cache = Some(path);
    }

    /// Choose abbreviation senses from `table` in `annotate` and `annotate_array`; `concepts`:
    /// per sense, the concept a mention of it carries, or `SENSE_DROPS` (the sense names no
    /// concept: no mention) or `SENSE_KEEPS` (the term's own concept).
    #[pyo3(signature = (table, concepts=None))]
    fn use_senses(&mut self, table: &PySenseTable, concepts: Option<Vec<u32>>) -> PyResult<()> {
        let concepts = concepts.unwrap_or_default();
        if !concepts.is_empty() && concepts.len() != table.inner.len() {
            return Err(PyValueError::new_err(
                "one concept per sense of the table expected",
            ));
        }
        self.engine.senses = Some(table.inner.clone());
        self.engine.sense_concepts = concepts;
        Ok(())
    }

    /// Context triggers from the built-in rules plus `files`, (name, JSON text) pairs in
    /// medspaCy's `context_rules.json` shape; an error names the file and the rule.
    fn use_context(&mut self, files: Vec<(String, String)>) -> PyResult<()> {
        let mut all: Vec<(&str, &str)> = termnorm_core::context::DEFAULT_RULES.to_vec();
        all.extend(files.iter().map(|(n, t)| (n.as_str(), t.as_str())));
        let triggers = termnorm_core::context::parse_rules(&all).map_err(PyValueError::new_err)?;
        self.engine.context = Context::new(triggers).map_err(PyValueError::new_err)?;
        Ok(())
    }

    /// Keep a mention of any of the terms `terms` only with one of the normalized words `cues`
    /// as the token right before or after it.
    fn use_cues(&mut self, terms: Vec<u32>, cues: Vec<String>) {
        self.engine.use_cues(&terms, &cues);
    }

    /// One text: its normalized text and its mentions, in order (one text's mentions as
    /// objects: an Arrow array costs more than the matching for a sentence).
    fn annotate(&self, py: Python<'_>, text: &str) -> (String, Vec<PyMention>) {
        py.detach(|| {
            let (norm, mentions) = self.engine.annotate(text);
            let rows = mentions.iter().map(|m| {
                let (concept, kind) = self.engine.concept_and_kind(m);
                let f = m.flags;
                PyMention {
                    start: m.start,
                    end: m.end,
                    term: m.term,
                    concept,
                    kind,
                    negated: f.negated,
                    uncertain: f.uncertain,
                    historical: f.historical,
                    family: f.family,
                    sense: m.sense,
                }
            });
            (norm.text, rows.collect())
        })
    }

    /// A whole Arrow string array in one call: the mentions (a struct array whose `doc` column
    /// indexes the input) and each text's exact-duplicate key (`exact_keys`), taken from the
    /// normalization done here anyway.
    fn annotate_array(
        &self,
        py: Python<'_>,
        texts: PyArrowType<ArrayData>,
    ) -> PyResult<(PyArrowType<ArrayData>, PyArrowType<ArrayData>)> {
        py.detach(|| {
            with_strings(texts.0, |it| {
                let mut keys = FixedSizeBinaryBuilder::new(16);
                let mut cols = MentionColumns::default();
                let mut ann = Annotation::default();
                for (i, t) in it.enumerate() {
                    let Some(t) = t else {
                        keys.append_null();
                        continue;
                    };
                    self.engine.annotate_into(t, &mut ann);
                    let key = minhash::normalized_key(&ann.norm.text).to_le_bytes();
                    keys.append_value(key).expect("16 bytes");
                    cols.push(&self.engine, i as u32, t, &ann);
                }
                (
                    PyArrowType(cols.finish()),
                    PyArrowType(keys.finish().into_data()),
                )
            })
        })
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEngine>()?;
    m.add_class::<PyMention>()?;
    m.add("SYNONYM_KINDS", termnorm_core::lexicon::KINDS.to_vec())?;
    m.add("SENSE_DROPS", termnorm_core::annotate::SENSE_DROPS)?;
    m.add("SENSE_KEEPS", termnorm_core::annotate::SENSE_KEEPS)?;
    Ok(())
}
