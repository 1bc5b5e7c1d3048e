//! Duplicates: MinHash signatures and clusters, exact-duplicate keys and groups, content digests
//! (see termnorm-core `minhash`, `digest`).

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::UInt32Type;
use arrow_array::{Array, FixedSizeBinaryArray, UInt32Array};
use arrow_data::ArrayData;
use arrow_pyarrow::PyArrowType;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use termnorm_core::digest::sha256_hex as digest_hex;
use termnorm_core::minhash::{self, MinHasher};

use crate::arrow::{primitive, with_strings};
use crate::error::value_error;

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
            PyArrowType(UInt32Array::from(out).into_data())
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
    if num_perm == 0 || !sigs.len().is_multiple_of(num_perm) || !(0.0..=1.0).contains(&threshold) {
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
        Ok(PyArrowType(UInt32Array::from(ids).into_data()))
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
            PyArrowType(UInt32Array::from(ids).into_data())
        })
    })
}

/// The SHA-256 of each text's UTF-8 bytes as 64 lowercase hex digits; nulls stay null.
#[pyfunction]
fn sha256_hex(py: Python<'_>, texts: PyArrowType<ArrayData>) -> PyResult<PyArrowType<ArrayData>> {
    py.detach(|| {
        with_strings(texts.0, |it| {
            let mut out = StringBuilder::new();
            for t in it {
                match t {
                    Some(t) => out.append_value(
                        std::str::from_utf8(&digest_hex(t.as_bytes())).expect("hex digits"),
                    ),
                    None => out.append_null(),
                }
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
            FixedSizeBinaryArray::try_from_sparse_iter_with_size(keys.into_iter(), 16)
                .map(|a| PyArrowType(a.into_data()))
                .map_err(value_error)
        })
        .and_then(|r| r)
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(minhash_signatures, m)?)?;
    m.add_function(wrap_pyfunction!(minhash_clusters, m)?)?;
    m.add_function(wrap_pyfunction!(exact_duplicates, m)?)?;
    m.add_function(wrap_pyfunction!(exact_keys, m)?)?;
    m.add_function(wrap_pyfunction!(sha256_hex, m)?)?;
    Ok(())
}
