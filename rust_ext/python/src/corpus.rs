//! Corpus readers' hot loop: `jsonl_parse`, JSON lines into document columns (see
//! termnorm-core `jsonl`).

use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, LargeStringArray, StringArray};
use arrow_data::ArrayData;
use arrow_pyarrow::PyArrowType;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use termnorm_core::jsonl::{doc_id, Docs, Fields};

use crate::arrow::struct_of;

/// A rejected line: `(line, reason, raw)`.
type RejectRow = (i64, String, String);

/// Parse a block of whole JSON lines: the number of lines read, a struct array
/// `{line: int64, doc_id: string, id: string, text: large_string, meta: string}` of the
/// documents (`doc_id` is `SOURCE#ID`, or `SOURCE:LINE` for a record without an id; `id` the
/// id as written, null without one), and the rejected lines. Only `buf[start:end]` is read: a
/// reader's block is parsed in place.
#[pyfunction]
#[pyo3(signature = (buf, first_line, source, text, id=None, meta=None, start=0, end=None))]
#[allow(clippy::too_many_arguments)]
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
) -> PyResult<(i64, PyArrowType<ArrayData>, Vec<RejectRow>)> {
    let end = end.unwrap_or(buf.len());
    let buf = buf.get(start..end).ok_or_else(|| {
        PyValueError::new_err(format!(
            "lines {start}..{end} outside a block of {}",
            buf.len()
        ))
    })?;
    Ok(py.detach(|| {
        let fields = Fields { text, id, meta };
        let (mut docs, mut rejects) = (Docs::default(), Vec::new());
        let n = docs.parse(buf, first_line, &fields, &mut rejects);
        let doc_ids = StringArray::from_iter_values(
            docs.ids
                .iter()
                .zip(&docs.lines)
                .map(|(id, &line)| doc_id(source, id.as_deref(), line)),
        );
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
            ("line", Arc::new(Int64Array::from(docs.lines))),
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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(jsonl_parse, m)?)
}
