//! Thin PyO3 bindings over termnorm-core: the module `termnorm._native`.
//! Batches cross the FFI as Arrow arrays, once per batch; the GIL is released while Rust works.

use std::sync::Arc;

mod phi;

// Batches allocate and free large buffers; glibc returns those to the kernel each time (page
// faults on every batch), mimalloc keeps and reuses them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use arrow_array::builder::{
    BooleanBuilder, FixedSizeBinaryBuilder, ListBuilder, StringBuilder, UInt32Builder, UInt8Builder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{UInt32Type, UInt8Type};
use arrow_array::{
    Array, ArrayRef, LargeStringArray, StringArray, StringViewArray, StructArray, UInt32Array,
};
use arrow_data::ArrayData;
use arrow_pyarrow::PyArrowType;
use arrow_schema::Field;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use termnorm_core::minhash::{self, MinHasher};
use termnorm_core::tokens::tokenize;
use termnorm_core::{
    Annotation, CharBytes, Context, Engine, FuzzyIndex, Lexicon, Normalized, SenseTable,
};

/// Normalized text with, for each of its characters, the original character span it came from.
#[pyclass(module = "termnorm._native", frozen)]
struct NormalizedText {
    inner: Normalized,
    /// Byte offset of each char of `inner.text`, plus the end: maps Python char indices to bytes.
    char_bytes: Vec<usize>,
}

#[pymethods]
impl NormalizedText {
    #[getter]
    fn text(&self) -> &str {
        &self.inner.text
    }

    /// Original `(start, end)` char span of each normalized char.
    #[getter]
    fn spans(&self) -> Vec<(u32, u32)> {
        self.inner.char_spans().collect()
    }

    /// Original char span of the normalized char span `[start, end)`.
    fn original_span(&self, start: usize, end: usize) -> PyResult<(u32, u32)> {
        let n = self.char_bytes.len() - 1;
        if start >= end || end > n {
            return Err(PyValueError::new_err(format!(
                "span {start}..{end} is empty or outside the normalized text of {n} chars"
            )));
        }
        Ok(self
            .inner
            .original_span(self.char_bytes[start], self.char_bytes[end])
            .expect("char indices are on char boundaries"))
    }

    fn __len__(&self) -> usize {
        self.char_bytes.len() - 1
    }

    fn __repr__(&self) -> String {
        format!("NormalizedText({:?})", self.inner.text)
    }
}

/// Normalize one string (NFKC, case folding, width, punctuation, whitespace, type numerals).
#[pyfunction]
fn normalize(py: Python<'_>, text: &str) -> NormalizedText {
    py.detach(|| {
        let inner = termnorm_core::normalize(text);
        let mut char_bytes: Vec<usize> = inner.text.char_indices().map(|(b, _)| b).collect();
        char_bytes.push(inner.text.len());
        NormalizedText { inner, char_bytes }
    })
}

/// Borrow any Arrow string array (utf8, large_utf8, utf8_view) as an iterator of optional strs.
fn with_strings<R>(
    data: ArrayData,
    f: impl FnOnce(&mut dyn Iterator<Item = Option<&str>>) -> R,
) -> PyResult<R> {
    let arr = arrow_array::make_array(data);
    let any = arr.as_any();
    if let Some(a) = any.downcast_ref::<StringArray>() {
        Ok(f(&mut a.iter()))
    } else if let Some(a) = any.downcast_ref::<LargeStringArray>() {
        Ok(f(&mut a.iter()))
    } else if let Some(a) = any.downcast_ref::<StringViewArray>() {
        Ok(f(&mut a.iter()))
    } else {
        Err(PyTypeError::new_err(format!(
            "expected an Arrow string array, got {}",
            arr.data_type()
        )))
    }
}

/// `data` as a primitive array of `T`; a `TypeError` saying `expected` where it is another type.
fn primitive<T: arrow_array::ArrowPrimitiveType>(
    data: ArrayData,
    expected: &str,
) -> PyResult<arrow_array::PrimitiveArray<T>> {
    arrow_array::make_array(data)
        .as_primitive_opt::<T>()
        .cloned()
        .ok_or_else(|| PyTypeError::new_err(expected.to_string()))
}

/// `f` over every string of an Arrow string array, GIL released; nulls stay null. Returns a
/// `large_string` array.
fn map_strings(
    py: Python<'_>,
    texts: PyArrowType<ArrayData>,
    f: impl Fn(&str) -> String + Send + Sync,
) -> PyResult<PyArrowType<ArrayData>> {
    py.detach(|| {
        with_strings(texts.0, |it| {
            let mut b = arrow_array::builder::LargeStringBuilder::new();
            for s in it {
                b.append_option(s.map(&f));
            }
            PyArrowType(b.finish().into_data())
        })
    })
}

/// Normalize a whole Arrow string array; nulls stay null. Returns a `large_string` array.
#[pyfunction]
fn normalize_array(
    py: Python<'_>,
    texts: PyArrowType<ArrayData>,
) -> PyResult<PyArrowType<ArrayData>> {
    map_strings(py, texts, |s| termnorm_core::normalize(s).text)
}

/// A struct array of named columns; the columns named in `nullable` may hold nulls.
fn struct_of(cols: Vec<(&str, ArrayRef)>, nullable: &[&str]) -> ArrayData {
    let fields: Vec<Arc<Field>> = cols
        .iter()
        .map(|(n, a)| Arc::new(Field::new(*n, a.data_type().clone(), nullable.contains(n))))
        .collect();
    let arrays = cols.into_iter().map(|(_, a)| a).collect();
    StructArray::new(fields.into(), arrays, None).into_data()
}

/// Like `normalize_array`, plus per-char original offsets: a struct array
/// `{text: string, orig_start: list<uint32>, orig_end: list<uint32>}`.
#[pyfunction]
fn normalize_array_with_offsets(
    py: Python<'_>,
    texts: PyArrowType<ArrayData>,
) -> PyResult<PyArrowType<ArrayData>> {
    py.detach(|| {
        with_strings(texts.0, |it| {
            let mut text = StringBuilder::new();
            let mut starts = ListBuilder::new(UInt32Builder::new());
            let mut ends = ListBuilder::new(UInt32Builder::new());
            for s in it {
                match s {
                    None => {
                        text.append_null();
                        starts.append_null();
                        ends.append_null();
                    }
                    Some(s) => {
                        let n = termnorm_core::normalize(s);
                        for (a, b) in n.char_spans() {
                            starts.values().append_value(a);
                            ends.values().append_value(b);
                        }
                        starts.append(true);
                        ends.append(true);
                        text.append_value(&n.text);
                    }
                }
            }
            let cols: Vec<(&str, ArrayRef)> = vec![
                ("text", Arc::new(text.finish())),
                ("orig_start", Arc::new(starts.finish())),
                ("orig_end", Arc::new(ends.finish())),
            ];
            PyArrowType(struct_of(cols, &["text", "orig_start", "orig_end"]))
        })
    })
}

/// Lexicon + context rules: the matcher the Normalizer drives.
#[pyclass(module = "termnorm._native", name = "Engine")]
struct PyEngine {
    engine: Engine,
    /// Built on first use: most callers only annotate.
    fuzzy: std::sync::OnceLock<FuzzyIndex>,
    /// Where the fuzzy index is read from, or written to once built (beside the lexicon).
    fuzzy_cache: Option<std::path::PathBuf>,
}

/// The saved fuzzy index of `lexicon`; None when missing, unreadable or another lexicon's.
fn read_fuzzy(path: &std::path::Path, lexicon: &Lexicon) -> Option<FuzzyIndex> {
    FuzzyIndex::open(path, lexicon.fingerprint(), lexicon.len()).ok()
}

fn write_fuzzy(idx: &FuzzyIndex, lexicon: &Lexicon, path: &std::path::Path) {
    use std::sync::atomic::{AtomicU64, Ordering};
    // unique per write: two engines of one process may save at the same time
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let n = WRITES.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp-{}-{n}", std::process::id()));
    let written = write_synced(&tmp, |w| idx.write_to(w, lexicon.fingerprint()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Create `path`, fill it through a buffer and sync it to disk (the caller renames it into
/// place).
fn write_synced(
    path: &std::path::Path,
    fill: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    fill(&mut w)?;
    w.flush()?;
    w.get_ref().sync_all()
}

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

type MentionRow = (u32, u32, u32, u32, u8, bool, bool, bool, bool, Option<u32>);

impl PyEngine {
    fn from_lexicon(lexicon: Lexicon) -> Self {
        PyEngine {
            engine: Engine::new(lexicon, Context::with_defaults()),
            fuzzy: Default::default(),
            fuzzy_cache: None,
        }
    }

    fn fuzzy_index(&self) -> &FuzzyIndex {
        self.fuzzy.get_or_init(|| {
            let lexicon = &self.engine.lexicon;
            let cache = self.fuzzy_cache.as_deref();
            if let Some(idx) = cache.and_then(|p| read_fuzzy(p, lexicon)) {
                return idx;
            }
            let idx = FuzzyIndex::new(lexicon.terms().iter());
            if let Some(path) = cache {
                write_fuzzy(&idx, lexicon, path); // best effort: a read-only folder rebuilds
            }
            idx
        })
    }

    fn rows(&self, text: &str) -> (String, Vec<MentionRow>) {
        let (norm, mentions) = self.engine.annotate(text);
        let rows = mentions
            .iter()
            .map(|m| {
                let best = self.engine.lexicon.entries(m.term)[0];
                let f = m.flags;
                (
                    m.start,
                    m.end,
                    m.term,
                    m.concept.unwrap_or(best.concept),
                    best.kind,
                    f.negated,
                    f.uncertain,
                    f.historical,
                    f.family,
                    m.sense,
                )
            })
            .collect();
        (norm.text, rows)
    }
}

#[pymethods]
impl PyEngine {
    /// Build from concept IDs and parallel arrays of normalized terms, concept indices (uint32)
    /// and kinds (uint8, index into the synonym kinds); `names`: each concept's name, if given.
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
    fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        py.detach(|| {
            Lexicon::open(&path)
                .map(PyEngine::from_lexicon)
                .map_err(|e| PyValueError::new_err(format!("{}: {e}", path.display())))
        })
    }

    /// Write the lexicon to `path` (the caller renames it into place).
    fn save(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        py.detach(|| write_synced(&path, |w| self.engine.lexicon.write_to(w)))
            .map_err(|e: std::io::Error| PyValueError::new_err(format!("{}: {e}", path.display())))
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
        if term as usize >= self.engine.lexicon.len() {
            return Err(PyValueError::new_err(format!("no term {term}")));
        }
        Ok(self.engine.lexicon.term(term).to_string())
    }

    /// `(concept index, kind)` of a term, strongest first.
    fn entries(&self, term: u32) -> PyResult<Vec<(u32, u8)>> {
        if term as usize >= self.engine.lexicon.len() {
            return Err(PyValueError::new_err(format!("no term {term}")));
        }
        Ok(self
            .engine
            .lexicon
            .entries(term)
            .iter()
            .map(|e| (e.concept, e.kind))
            .collect())
    }

    /// Up to `k` `(term, score)` similar to the normalized mention `norm_term`, best first:
    /// equal order/inflection-insensitive keys score 1.0, trigram neighbours less.
    #[pyo3(signature = (norm_term, k=5, threshold=0.5))]
    fn fuzzy(&self, py: Python<'_>, norm_term: &str, k: usize, threshold: f64) -> Vec<(u32, f64)> {
        py.detach(|| {
            let idx = self.fuzzy_index();
            idx.search(norm_term, k, threshold)
                .into_iter()
                .map(|h| (h.term, h.score))
                .collect()
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
            norm_terms
                .iter()
                .map(|t| {
                    idx.search(t, k, threshold)
                        .into_iter()
                        .map(|h| (h.term, h.score))
                        .collect()
                })
                .collect()
        })
    }

    /// Index of an exact normalized term, or None.
    fn lookup(&self, norm_term: &str) -> Option<u32> {
        self.engine.lexicon.lookup(norm_term)
    }

    /// Keep the fuzzy index in `path`: read from there when first needed, written there
    /// (atomically) when it had to be built. Building takes seconds for a full terminology.
    fn use_fuzzy_cache(&mut self, path: std::path::PathBuf) {
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

    /// One text: `(normalized text, [(start, end, term, concept, kind, negated, uncertain,
    /// historical, family, sense)])`, spans in original char offsets.
    fn annotate(&self, py: Python<'_>, text: &str) -> (String, Vec<MentionRow>) {
        py.detach(|| self.rows(text))
    }

    /// A whole Arrow string array in one call: the mentions, a struct array with a `doc`
    /// column indexing the input (`sense` is null where no sense was chosen), and each text's
    /// exact-duplicate key (`exact_keys`), taken from the normalization done here anyway.
    fn annotate_array(
        &self,
        py: Python<'_>,
        texts: PyArrowType<ArrayData>,
    ) -> PyResult<(PyArrowType<ArrayData>, PyArrowType<ArrayData>)> {
        py.detach(|| {
            with_strings(texts.0, |it| {
                let mut keys = FixedSizeBinaryBuilder::new(16);
                let mut surface = StringBuilder::new(); // short spans: 32-bit offsets
                let (mut doc, mut start, mut end, mut term, mut concept) = (
                    UInt32Builder::new(),
                    UInt32Builder::new(),
                    UInt32Builder::new(),
                    UInt32Builder::new(),
                    UInt32Builder::new(),
                );
                let mut kind = UInt8Builder::new();
                let mut sense = UInt32Builder::new();
                let mut flags: [BooleanBuilder; 4] = Default::default();
                let mut ann = Annotation::default();
                for (i, t) in it.enumerate() {
                    let Some(t) = t else {
                        keys.append_null();
                        continue;
                    };
                    self.engine.annotate_into(t, &mut ann);
                    let key = minhash::normalized_key(&ann.norm.text).to_le_bytes();
                    keys.append_value(key).expect("16 bytes");
                    let mut bytes = CharBytes::new(t);
                    for m in &ann.mentions {
                        let best = self.engine.lexicon.entries(m.term)[0];
                        let (bs, be) = (bytes.byte(m.start), bytes.byte(m.end));
                        surface.append_value(&t[bs..be]);
                        doc.append_value(i as u32);
                        start.append_value(m.start);
                        end.append_value(m.end);
                        term.append_value(m.term);
                        concept.append_value(m.concept.unwrap_or(best.concept));
                        kind.append_value(best.kind);
                        sense.append_option(m.sense);
                        let f = m.flags;
                        for (b, v) in
                            flags
                                .iter_mut()
                                .zip([f.negated, f.uncertain, f.historical, f.family])
                        {
                            b.append_value(v);
                        }
                    }
                }
                let mut cols: Vec<(&str, ArrayRef)> = vec![
                    ("doc", Arc::new(doc.finish())),
                    ("start", Arc::new(start.finish())),
                    ("end", Arc::new(end.finish())),
                    ("surface", Arc::new(surface.finish())),
                    ("term", Arc::new(term.finish())),
                    ("concept", Arc::new(concept.finish())),
                    ("kind", Arc::new(kind.finish())),
                    ("sense", Arc::new(sense.finish())),
                ];
                for (name, b) in ["negated", "uncertain", "historical", "family"]
                    .into_iter()
                    .zip(flags.iter_mut())
                {
                    cols.push((name, Arc::new(b.finish())));
                }
                (
                    PyArrowType(struct_of(cols, &["sense"])),
                    PyArrowType(keys.finish().into_data()),
                )
            })
        })
    }
}

/// MinHash signatures of a string array, row-major in one `uint32` array of
/// `len(texts) * num_perm` values (nulls and empty texts: all 2^32 - 1).
#[pyfunction]
#[pyo3(signature = (texts, num_perm=128, ngram=5, seed=1))]
fn minhash_signatures(
    py: Python<'_>,
    texts: PyArrowType<ArrayData>,
    num_perm: usize,
    ngram: usize,
    seed: u64,
) -> PyResult<PyArrowType<ArrayData>> {
    if num_perm == 0 || ngram == 0 {
        return Err(PyValueError::new_err("num_perm and ngram must be positive"));
    }
    py.detach(|| {
        with_strings(texts.0, |it| {
            let hasher = MinHasher::new(num_perm, ngram, seed);
            let mut out: Vec<u32> = Vec::new();
            let mut words = Vec::new();
            for t in it {
                let at = out.len();
                out.resize(at + num_perm, 0);
                hasher.signature_into(t.unwrap_or(""), &mut words, &mut out[at..]);
            }
            PyArrowType(arrow_array::UInt32Array::from(out).into_data())
        })
    })
}

/// Near-duplicate cluster IDs (uint32, the smallest member index) from row-major signatures;
/// rows with equal `exact_keys` (when given) join one cluster whatever their signatures say.
#[pyfunction]
#[pyo3(signature = (signatures, num_perm, threshold, exact_keys=None))]
fn minhash_clusters(
    py: Python<'_>,
    signatures: PyArrowType<ArrayData>,
    num_perm: usize,
    threshold: f64,
    exact_keys: Option<PyArrowType<ArrayData>>,
) -> PyResult<PyArrowType<ArrayData>> {
    let sigs = primitive::<UInt32Type>(signatures.0, "signatures must be a uint32 array")?;
    if num_perm == 0 || sigs.len() % num_perm != 0 || !(0.0..=1.0).contains(&threshold) {
        return Err(PyValueError::new_err(format!(
            "{} values do not make rows of {num_perm}, or threshold {threshold} is outside [0, 1]",
            sigs.len()
        )));
    }
    let same = match exact_keys {
        None => None,
        Some(k) => {
            let keys = arrow_array::make_array(k.0);
            let keys = keys
                .as_fixed_size_binary_opt()
                .filter(|k| k.len() * num_perm == sigs.len())
                .ok_or_else(|| {
                    PyTypeError::new_err("exact_keys must be fixed-size binary, one per row")
                })?;
            Some(minhash::first_occurrences(keys.iter()))
        }
    };
    py.detach(|| {
        let ids = minhash::clusters(sigs.values(), num_perm, threshold, same.as_deref());
        Ok(PyArrowType(arrow_array::UInt32Array::from(ids).into_data()))
    })
}

/// Exact-duplicate groups: for each text the index of the first text with the same normalized
/// content (itself if none); nulls are their own group.
#[pyfunction]
fn exact_duplicates(
    py: Python<'_>,
    texts: PyArrowType<ArrayData>,
) -> PyResult<PyArrowType<ArrayData>> {
    py.detach(|| {
        with_strings(texts.0, |it| {
            let ids = minhash::first_occurrences(it.map(|t| t.map(minhash::exact_key)));
            PyArrowType(arrow_array::UInt32Array::from(ids).into_data())
        })
    })
}

/// The SHA-256 of each text's UTF-8 bytes as 64 lowercase hex digits (SHA-NI where the CPU
/// has it); nulls stay null.
#[pyfunction]
fn sha256_hex(py: Python<'_>, texts: PyArrowType<ArrayData>) -> PyResult<PyArrowType<ArrayData>> {
    use sha2::Digest;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    py.detach(|| {
        with_strings(texts.0, |it| {
            let mut out = StringBuilder::new();
            let mut hex = [0u8; 64];
            for t in it {
                let Some(t) = t else {
                    out.append_null();
                    continue;
                };
                for (pair, b) in hex
                    .chunks_exact_mut(2)
                    .zip(sha2::Sha256::digest(t.as_bytes()))
                {
                    pair[0] = HEX[usize::from(b >> 4)];
                    pair[1] = HEX[usize::from(b & 15)];
                }
                out.append_value(std::str::from_utf8(&hex).expect("hex digits"));
            }
            PyArrowType(out.finish().into_data())
        })
    })
}

/// The exact-duplicate key of each text (16 bytes; see `termnorm_core::minhash::exact_key`),
/// for grouping across batches and shards; nulls stay null.
#[pyfunction]
fn exact_keys(py: Python<'_>, texts: PyArrowType<ArrayData>) -> PyResult<PyArrowType<ArrayData>> {
    py.detach(|| {
        with_strings(texts.0, |it| {
            let keys: Vec<Option<[u8; 16]>> = it
                .map(|t| t.map(|t| minhash::exact_key(t).to_le_bytes()))
                .collect();
            arrow_array::FixedSizeBinaryArray::try_from_sparse_iter_with_size(keys.into_iter(), 16)
                .map(|a| PyArrowType(a.into_data()))
                .map_err(value_error)
        })
        .and_then(|r| r)
    })
}

/// Quality and script signals per text (see `termnorm_core::quality`), a struct array; nulls
/// get the signals of an empty text.
#[pyfunction]
fn quality_signals(
    py: Python<'_>,
    texts: PyArrowType<ArrayData>,
) -> PyResult<PyArrowType<ArrayData>> {
    py.detach(|| {
        with_strings(texts.0, |it| {
            let q = termnorm_core::quality::QualityScorer::default();
            let sig: Vec<_> = it.map(|t| q.signals(t.unwrap_or(""))).collect();
            let u32s = |f: fn(&termnorm_core::quality::Signals) -> u32| -> ArrayRef {
                Arc::new(arrow_array::UInt32Array::from_iter_values(
                    sig.iter().map(f),
                ))
            };
            let f64s = |f: fn(&termnorm_core::quality::Signals) -> f64| -> ArrayRef {
                Arc::new(arrow_array::Float64Array::from_iter_values(
                    sig.iter().map(f),
                ))
            };
            let cols: Vec<(&str, ArrayRef)> = vec![
                ("n_chars", u32s(|s| s.n_chars)),
                ("n_words", u32s(|s| s.n_words)),
                ("mean_word_len", f64s(|s| s.mean_word_len)),
                ("symbol_ratio", f64s(|s| s.symbol_ratio)),
                ("digit_ratio", f64s(|s| s.digit_ratio)),
                ("dup_line_frac", f64s(|s| s.dup_line_frac)),
                ("cjk_ratio", f64s(|s| s.cjk_ratio)),
                ("latin_ratio", f64s(|s| s.latin_ratio)),
                ("english_ratio", f64s(|s| s.english_ratio)),
            ];
            PyArrowType(struct_of(cols, &[]))
        })
    })
}

/// Texts without the lines of at least `min_chars` chars that recur in at least `min_docs`
/// documents, and how many lines each lost; nulls stay null. `copies[i]` (uint32, default 1):
/// how many documents text i stands for, so a batch's distinct texts can go in once each. Where
/// no line recurs, `large_string` texts come back as they are, not copied.
#[pyfunction]
#[pyo3(signature = (texts, min_docs, min_chars, copies=None))]
fn remove_boilerplate(
    py: Python<'_>,
    texts: PyArrowType<ArrayData>,
    min_docs: u32,
    min_chars: usize,
    copies: Option<PyArrowType<ArrayData>>,
) -> PyResult<(PyArrowType<ArrayData>, PyArrowType<ArrayData>)> {
    let copies = match copies {
        None => None,
        Some(c) => {
            let c = primitive::<UInt32Type>(c.0, "copies must be a uint32 array")?;
            if c.len() != texts.0.len() || c.null_count() > 0 {
                return Err(PyValueError::new_err(format!(
                    "copies: {} values without nulls expected, got {} ({} null)",
                    texts.0.len(),
                    c.len(),
                    c.null_count()
                )));
            }
            Some(c)
        }
    };
    let input = texts.0.clone();
    let unchanged_ok = *input.data_type() == arrow_schema::DataType::LargeUtf8;
    py.detach(|| {
        with_strings(texts.0, |it| {
            let texts: Vec<Option<&str>> = it.collect();
            let weight = |i: usize| copies.as_ref().map_or(1, |c| c.value(i));
            let lines = termnorm_core::boilerplate::repeated_lines_weighted(
                texts
                    .iter()
                    .enumerate()
                    .filter_map(|(i, t)| t.map(|t| (t, weight(i)))),
                min_docs,
                min_chars,
            );
            if lines.is_empty() && unchanged_ok {
                let none = UInt32Array::from(vec![0u32; texts.len()]);
                return (PyArrowType(input), PyArrowType(none.into_data()));
            }
            let mut out = arrow_array::builder::LargeStringBuilder::new();
            let mut dropped = UInt32Builder::new();
            for t in texts {
                match t {
                    Some(t) => {
                        let (text, n) = termnorm_core::boilerplate::drop_lines(t, &lines);
                        out.append_value(text);
                        dropped.append_value(n);
                    }
                    None => {
                        out.append_null();
                        dropped.append_value(0);
                    }
                }
            }
            (
                PyArrowType(out.finish().into_data()),
                PyArrowType(dropped.finish().into_data()),
            )
        })
    })
}

/// Which of up to 64 regexes (the `regex` crate's syntax, as polars') match each text, as a
/// bit mask (bit i: pattern i), in one pass per text; a null text is an empty one.
#[pyfunction]
fn regex_set_matches(
    py: Python<'_>,
    texts: PyArrowType<ArrayData>,
    patterns: Vec<String>,
) -> PyResult<PyArrowType<ArrayData>> {
    if patterns.len() > 64 {
        return Err(PyValueError::new_err(format!(
            "at most 64 patterns, got {}",
            patterns.len()
        )));
    }
    let set = regex::RegexSetBuilder::new(&patterns)
        .size_limit(1 << 26)
        .dfa_size_limit(1 << 26)
        .build()
        .map_err(value_error)?;
    py.detach(|| {
        with_strings(texts.0, |it| {
            let masks = it.map(|t| {
                set.matches(t.unwrap_or(""))
                    .iter()
                    .fold(0u64, |m, i| m | 1 << i)
            });
            PyArrowType(arrow_array::UInt64Array::from_iter_values(masks).into_data())
        })
    })
}

/// The clean stage over a string array (see `termnorm_core::clean`); nulls stay null.
#[pyfunction]
fn clean_array(py: Python<'_>, texts: PyArrowType<ArrayData>) -> PyResult<PyArrowType<ArrayData>> {
    map_strings(py, texts, termnorm_core::clean::clean)
}

/// Abbreviation senses: each short form's long forms (as their content words and frequency),
/// chosen per mention by the words around it (see termnorm-core `senses`).
#[pyclass(module = "termnorm._native", name = "SenseTable", frozen)]
struct PySenseTable {
    inner: Arc<SenseTable>,
}

#[pymethods]
impl PySenseTable {
    /// `senses`: `[(normalized short form, [(long form, frequency), ...])]`, each short form's
    /// options in preference order; `window`: normalized bytes either side that count;
    /// `learned`: `[(sense index, [(normalized word, weight), ...])]`, context words learned
    /// from notes.
    #[new]
    #[pyo3(signature = (senses, window, learned=None))]
    fn new(
        py: Python<'_>,
        senses: Vec<termnorm_core::senses::ShortForm>,
        window: usize,
        learned: Option<Vec<(usize, Vec<(String, f64)>)>>,
    ) -> Self {
        py.detach(|| {
            let mut table = SenseTable::new(senses, window);
            for (i, words) in learned.unwrap_or_default() {
                table.learn(i, &words);
            }
            PySenseTable {
                inner: Arc::new(table),
            }
        })
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// The sense of each short form `shorts[i]` (normalized) at original char `ats[i]` of
    /// `text`, or None for a short form the table lacks.
    fn choose(
        &self,
        py: Python<'_>,
        text: &str,
        shorts: Vec<String>,
        ats: Vec<u32>,
    ) -> PyResult<Vec<Option<u32>>> {
        if shorts.len() != ats.len() {
            return Err(PyValueError::new_err("shorts and ats differ in length"));
        }
        Ok(py.detach(|| {
            let norm = termnorm_core::normalize(text);
            let mut toks = Vec::new();
            tokenize(&norm.text, &mut toks);
            let mut words = Vec::new();
            shorts
                .iter()
                .zip(ats)
                .map(|(short, at)| {
                    let b = norm.orig_start.partition_point(|&s| s < at);
                    self.inner.choose(short, &norm.text, &toks, b, &mut words)
                })
                .collect()
        }))
    }
}

/// Parse a block of whole JSON lines (see `termnorm_core::jsonl`): the number of lines read, a
/// struct array `{line: int64, doc_id: string, id: string, text: large_string, meta: string}`
/// of the documents (`doc_id` is `SOURCE#ID`, or `SOURCE:LINE` for a record without an id;
/// `id` the id as written, null without one), and `(line, reason, raw)` for
/// each rejected line. Only `buf[start:end]` is read: a reader's block is parsed in place.
#[pyfunction]
#[pyo3(signature = (buf, first_line, source, text, id=None, meta=None, start=0, end=None))]
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
fn jsonl_parse(
    py: Python<'_>,
    buf: &[u8],
    first_line: i64,
    source: &str,
    text: String,
    id: Option<String>,
    meta: Option<Vec<String>>,
    start: usize,
    end: Option<usize>,
) -> PyResult<(i64, PyArrowType<ArrayData>, Vec<(i64, String, String)>)> {
    let end = end.unwrap_or(buf.len());
    let buf = buf.get(start..end).ok_or_else(|| {
        PyValueError::new_err(format!(
            "lines {start}..{end} outside a block of {}",
            buf.len()
        ))
    })?;
    Ok(py.detach(|| {
        let fields = termnorm_core::jsonl::Fields { text, id, meta };
        let (mut docs, mut rejects) = (termnorm_core::jsonl::Docs::default(), Vec::new());
        let n = docs.parse(buf, first_line, &fields, &mut rejects);
        let doc_ids = StringArray::from_iter_values(docs.ids.iter().zip(&docs.lines).map(
            |(id, line)| match id {
                Some(id) => format!("{source}#{id}"),
                None => format!("{source}:{line}"),
            },
        ));
        let ids = StringArray::from(docs.ids);
        // SAFETY: the offsets are the ends of the texts pushed onto one Rust `String`, so they
        // ascend and cut it only between chars; checking again would cost a pass over the text.
        let texts = unsafe {
            LargeStringArray::new_unchecked(
                arrow_buffer::OffsetBuffer::new_unchecked(docs.offsets.into()),
                docs.text.into_bytes().into(),
                None,
            )
        };
        let cols: Vec<(&str, ArrayRef)> = vec![
            ("line", Arc::new(arrow_array::Int64Array::from(docs.lines))),
            ("doc_id", Arc::new(doc_ids)),
            ("id", Arc::new(ids)),
            ("text", Arc::new(texts)),
            ("meta", Arc::new(StringArray::from(docs.meta))),
        ];
        let rejects = rejects
            .into_iter()
            .map(|r| (r.line, r.reason, r.raw))
            .collect();
        (n, PyArrowType(struct_of(cols, &["id", "meta"])), rejects)
    }))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEngine>()?;
    m.add_class::<PySenseTable>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("SENSE_DROPS", termnorm_core::annotate::SENSE_DROPS)?;
    m.add("SENSE_KEEPS", termnorm_core::annotate::SENSE_KEEPS)?;
    m.add_class::<NormalizedText>()?;
    m.add_function(wrap_pyfunction!(normalize, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_array, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_array_with_offsets, m)?)?;
    m.add_function(wrap_pyfunction!(minhash_signatures, m)?)?;
    m.add_function(wrap_pyfunction!(minhash_clusters, m)?)?;
    phi::register(m)?;
    m.add_function(wrap_pyfunction!(exact_duplicates, m)?)?;
    m.add_function(wrap_pyfunction!(exact_keys, m)?)?;
    m.add_function(wrap_pyfunction!(sha256_hex, m)?)?;
    m.add_function(wrap_pyfunction!(quality_signals, m)?)?;
    m.add_function(wrap_pyfunction!(remove_boilerplate, m)?)?;
    m.add_function(wrap_pyfunction!(clean_array, m)?)?;
    m.add_function(wrap_pyfunction!(jsonl_parse, m)?)?;
    m.add_function(wrap_pyfunction!(regex_set_matches, m)?)?;
    Ok(())
}
