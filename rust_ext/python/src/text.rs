//! Text folding and the clean stage: `normalize`, `NormalizedText`, `normalize_array`,
//! `normalize_array_with_offsets`, `clean_array` (see termnorm-core `normalize`, `clean`).

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder, UInt32Builder};
use arrow_array::ArrayRef;
use arrow_data::ArrayData;
use arrow_pyarrow::PyArrowType;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use termnorm_core::Normalized;

use crate::arrow::{map_strings, struct_of, with_strings};

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

/// Normalize a whole Arrow string array; nulls stay null. Returns a `large_string` array.
#[pyfunction]
fn normalize_array(
    py: Python<'_>,
    texts: PyArrowType<ArrayData>,
) -> PyResult<PyArrowType<ArrayData>> {
    map_strings(py, texts, |s| termnorm_core::normalize(s).text)
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

/// The clean stage over a string array (see `termnorm_core::clean`); nulls stay null.
#[pyfunction]
fn clean_array(py: Python<'_>, texts: PyArrowType<ArrayData>) -> PyResult<PyArrowType<ArrayData>> {
    map_strings(py, texts, termnorm_core::clean::clean)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NormalizedText>()?;
    m.add_function(wrap_pyfunction!(normalize, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_array, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_array_with_offsets, m)?)?;
    m.add_function(wrap_pyfunction!(clean_array, m)?)?;
    Ok(())
}
