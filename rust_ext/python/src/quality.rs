//! Document filters' signals: `quality_signals`, `remove_boilerplate`, `regex_set_matches`
//! (see termnorm-core `quality`, `boilerplate`, `patterns`).

use std::sync::Arc;

use arrow_array::builder::{LargeStringBuilder, UInt32Builder};
use arrow_array::types::UInt32Type;
use arrow_array::{Array, ArrayRef, Float64Array, UInt32Array, UInt64Array};
use arrow_data::ArrayData;
use arrow_pyarrow::PyArrowType;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use termnorm_core::patterns::PatternSet;
use termnorm_core::quality::{QualityScorer, Signal, SIGNALS};

use crate::arrow::{primitive, struct_of, with_strings};
use crate::error::value_error;

/// Quality and script signals per text, a struct array with the columns `QUALITY_SIGNALS`;
/// nulls get the signals of an empty text.
#[pyfunction]
fn quality_signals(
    py: Python<'_>,
    texts: PyArrowType<ArrayData>,
) -> PyResult<PyArrowType<ArrayData>> {
    py.detach(|| {
        with_strings(texts.0, |it| {
            let q = QualityScorer::default();
            let sig: Vec<_> = it.map(|t| q.signals(t.unwrap_or(""))).collect();
            let cols: Vec<(&str, ArrayRef)> = SIGNALS
                .iter()
                .map(|&(name, signal)| {
                    let col: ArrayRef = match signal {
                        Signal::Count(f) => {
                            Arc::new(UInt32Array::from_iter_values(sig.iter().map(f)))
                        }
                        Signal::Ratio(f) => {
                            Arc::new(Float64Array::from_iter_values(sig.iter().map(f)))
                        }
                    };
                    (name, col)
                })
                .collect();
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
            let removed = termnorm_core::boilerplate::remove(&texts, weight, min_docs, min_chars);
            let mut out = LargeStringBuilder::new();
            let mut dropped = UInt32Builder::new();
            match removed {
                None if unchanged_ok => {
                    let none = UInt32Array::from(vec![0u32; texts.len()]);
                    return (PyArrowType(input), PyArrowType(none.into_data()));
                }
                None => {
                    for t in texts {
                        out.append_option(t);
                        dropped.append_value(0);
                    }
                }
                Some(rows) => {
                    for row in rows {
                        let (text, n) = row.map_or((None, 0), |(t, n)| (Some(t), n));
                        out.append_option(text);
                        dropped.append_value(n);
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
    let set = PatternSet::new(&patterns).map_err(value_error)?;
    py.detach(|| {
        with_strings(texts.0, |it| {
            let masks = it.map(|t| set.mask(t.unwrap_or("")));
            PyArrowType(UInt64Array::from_iter_values(masks).into_data())
        })
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let names: Vec<&str> = SIGNALS.iter().map(|(n, _)| *n).collect();
    m.add("QUALITY_SIGNALS", names)?;
    m.add_function(wrap_pyfunction!(quality_signals, m)?)?;
    m.add_function(wrap_pyfunction!(remove_boilerplate, m)?)?;
    m.add_function(wrap_pyfunction!(regex_set_matches, m)?)?;
    Ok(())
}
