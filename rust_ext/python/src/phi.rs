//! PHI de-identification: `Deidentifier` over string arrays (see termnorm-core `phi`).

use std::sync::Arc;

use arrow_array::builder::{LargeStringBuilder, UInt32Builder};
use arrow_array::{Array, ArrayRef, LargeStringArray};
use arrow_data::ArrayData;
use arrow_pyarrow::PyArrowType;
use pyo3::prelude::*;
use termnorm_core::phi::{Deidentifier, PhiType};
use termnorm_core::phi_names::PhiLexicon;

use crate::arrow::{struct_of, with_strings};

/// The rules plus, when built with word lists, names and places by lexicon and cues.
#[pyclass(module = "termnorm._native", name = "Deidentifier", frozen)]
struct PyDeidentifier {
    inner: Arc<Deidentifier>,
}

#[pymethods]
impl PyDeidentifier {
    /// `words`: `(word, flags, zipf x 10)`; `dictionary`: ordinary words that are nothing
    /// else; `phrases`: multi-word cues `(words, flags)`;
    /// `places`: `(name, strong)`; Chinese surnames, given-name chars, cue words before and
    /// after a name (see termnorm-core `phi_names`). With no arguments: the regex rules alone.
    #[new]
    #[pyo3(signature = (words=None, dictionary=None, phrases=None, places=None, zh_surnames=None, zh_given=None, zh_before=None, zh_after=None, zh_title_parts=None, zh_places=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        words: Option<Vec<(String, u32, u8)>>,
        dictionary: Option<Vec<String>>,
        phrases: Option<Vec<(String, u32)>>,
        places: Option<Vec<(String, bool)>>,
        zh_surnames: Option<Vec<String>>,
        zh_given: Option<String>,
        zh_before: Option<Vec<String>>,
        zh_after: Option<Vec<String>>,
        zh_title_parts: Option<Vec<String>>,
        zh_places: Option<Vec<String>>,
    ) -> Self {
        py.detach(|| {
            let inner = match words {
                None => Deidentifier::new(),
                Some(words) => Deidentifier::with_lexicon(PhiLexicon::new(
                    words,
                    dictionary.unwrap_or_default(),
                    phrases.unwrap_or_default(),
                    places.unwrap_or_default(),
                    zh_surnames.unwrap_or_default(),
                    zh_given.unwrap_or_default(),
                    zh_before.unwrap_or_default(),
                    zh_after.unwrap_or_default(),
                    zh_title_parts.unwrap_or_default(),
                    zh_places.unwrap_or_default(),
                )),
            };
            PyDeidentifier {
                inner: Arc::new(inner),
            }
        })
    }

    /// The identifiers of one text: `(start, end, type)` in chars, in order.
    fn find(&self, py: Python<'_>, text: &str) -> Vec<(usize, usize, &'static str)> {
        let hits = py.detach(|| self.inner.find_chars(text));
        hits.into_iter()
            .map(|(a, b, k)| (a, b, k.label()))
            .collect()
    }

    /// `(texts with [TYPE] placeholders or surrogates, counts)`: counts is a struct array with
    /// one uint32 column per type; nulls stay null. `patients`: a key per text (surrogates are
    /// then consistent, and dates shift by one offset, across a patient's texts).
    #[pyo3(signature = (texts, surrogates=false, patients=None))]
    fn deidentify_array(
        &self,
        py: Python<'_>,
        texts: PyArrowType<ArrayData>,
        surrogates: bool,
        patients: Option<PyArrowType<ArrayData>>,
    ) -> PyResult<(PyArrowType<ArrayData>, PyArrowType<ArrayData>)> {
        let keys: Option<Vec<Option<String>>> = match patients {
            Some(p) => Some(with_strings(p.0, |it| {
                it.map(|k| k.map(str::to_string)).collect()
            })?),
            None => None,
        };
        if let Some(k) = &keys {
            if k.len() != texts.0.len() {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "{} patient keys for {} texts: give one a text (or none)",
                    k.len(),
                    texts.0.len()
                )));
            }
        }
        py.detach(|| {
            with_strings(texts.0, |it| {
                let d = &self.inner;
                let mut out = LargeStringBuilder::new();
                let mut counts: Vec<UInt32Builder> =
                    PhiType::ALL.iter().map(|_| UInt32Builder::new()).collect();
                for (i, t) in it.enumerate() {
                    let mut per = [0u32; PhiType::ALL.len()];
                    if let Some(t) = t {
                        let (text, hits) = if surrogates {
                            let key = keys.as_ref().and_then(|k| k.get(i).cloned().flatten());
                            d.deidentify_with_surrogates(t, key.as_deref())
                        } else {
                            d.deidentify(t)
                        };
                        per = PhiType::counts(&hits);
                        out.append_value(text);
                    } else {
                        out.append_null();
                    }
                    for (b, n) in counts.iter_mut().zip(per) {
                        b.append_value(n);
                    }
                }
                let text: LargeStringArray = out.finish();
                let cols: Vec<(&str, ArrayRef)> = PhiType::ALL
                    .iter()
                    .zip(counts.iter_mut())
                    .map(|(k, b)| (k.label(), Arc::new(b.finish()) as ArrayRef))
                    .collect();
                (
                    PyArrowType(text.into_data()),
                    PyArrowType(struct_of(cols, &[])),
                )
            })
        })
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDeidentifier>()?;
    let types: Vec<&str> = PhiType::ALL.iter().map(|t| t.label()).collect();
    m.add("PHI_TYPES", types)?;
    let flags = termnorm_core::phi_names::flag::NAMED.into_iter();
    m.add(
        "PHI_WORD_FLAGS",
        flags.collect::<std::collections::BTreeMap<_, _>>(),
    )?;
    Ok(())
}
