//! Abbreviation senses: `SenseTable`, each short form's long forms (as their content words and
//! frequency), chosen per mention by the words around it (see termnorm-core `senses`).

use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use termnorm_core::senses::ShortForm;
use termnorm_core::tokens::tokenize;
use termnorm_core::SenseTable;

/// Context words learned for one sense: `(sense index, [(normalized word, weight), ...])`.
type LearnedSense = (usize, Vec<(String, f64)>);

#[pyclass(module = "termnorm._native", name = "SenseTable", frozen)]
pub struct PySenseTable {
    pub inner: Arc<SenseTable>,
}

#[pymethods]
impl PySenseTable {
    /// `senses`: `[(normalized short form, [(long form, frequency), ...])]`, each short form's
    /// options in preference order; `window`: normalized bytes either side that count;
    /// `learned`: context words learned from notes, per sense.
    #[new]
    #[pyo3(signature = (senses, window, learned=None))]
    fn new(
        py: Python<'_>,
        senses: Vec<ShortForm>,
        window: usize,
        learned: Option<Vec<LearnedSense>>,
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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySenseTable>()
}
