//! Duplicates: MinHash signatures and clusters, exact-duplicate keys and groups, content digests
//! (see termnorm-core `minhash`, `lsh`, `digest`), and the pieces of bucketed grouping.

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::UInt32Type;
use arrow_array::{Array, FixedSizeBinaryArray, UInt32Array};
use arrow_data::ArrayData;
use arrow_pyarrow::PyArrowType;
use std::path::PathBuf;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use termnorm_core::digest::sha256_hex as digest_hex;
use termnorm_core::lsh;
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
    let sigs = signature_rows(signatures, num_perm, threshold)?;
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
        let ids = lsh::clusters(sigs.values(), num_perm, threshold, same.as_deref());
        Ok(PyArrowType(UInt32Array::from(ids).into_data()))
    })
}

/// Signatures as a uint32 array of whole rows, with a threshold in [0, 1].
fn signature_rows(
    signatures: PyArrowType<ArrayData>,
    num_perm: usize,
    threshold: f64,
) -> PyResult<UInt32Array> {
    let sigs = primitive::<UInt32Type>(signatures.0, "signatures must be a uint32 array")?;
    if num_perm == 0 || !sigs.len().is_multiple_of(num_perm) || !(0.0..=1.0).contains(&threshold) {
        return Err(PyValueError::new_err(format!(
            "{} values do not make rows of {num_perm}, or threshold {threshold} is outside [0, 1]",
            sigs.len()
        )));
    }
    Ok(sigs)
}

/// (bands, rows per band) of LSH at `threshold` with `num_perm` values.
#[pyfunction]
fn lsh_params(threshold: f64, num_perm: usize) -> (usize, usize) {
    lsh::lsh_params(threshold, num_perm)
}

/// The LSH band keys of row-major signatures, split into `buckets`: for each bucket the
/// 16-byte records (band u32, hash u64, doc u32, little-endian) of its keys, `docs[i]` the
/// document of row i. Empty signatures have no keys.
#[pyfunction]
fn minhash_band_keys<'py>(
    py: Python<'py>,
    signatures: PyArrowType<ArrayData>,
    docs: PyArrowType<ArrayData>,
    num_perm: usize,
    threshold: f64,
    buckets: usize,
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let sigs = signature_rows(signatures, num_perm, threshold)?;
    let docs = primitive::<UInt32Type>(docs.0, "docs must be a uint32 array")?;
    if docs.len() * num_perm != sigs.len() || buckets == 0 {
        return Err(PyValueError::new_err(format!(
            "{} docs for {} signatures, in {buckets} buckets",
            docs.len(),
            sigs.len() / num_perm
        )));
    }
    let parts = py.detach(|| {
        let parts = lsh::partition(sigs.values(), docs.values(), num_perm, threshold, buckets);
        let bytes = |part: Vec<lsh::BandKey>| part.into_iter().flat_map(|k| k.to_le_bytes());
        parts
            .into_iter()
            .map(|p| bytes(p).collect::<Vec<u8>>())
            .collect::<Vec<_>>()
    });
    Ok(parts.iter().map(|p| PyBytes::new(py, p)).collect())
}

/// The candidate pairs of one bucket, whose band keys are in the files `paths`: flattened
/// uint32 triples (doc, first, prev), see `termnorm_core::lsh::candidates`.
#[pyfunction]
fn minhash_bucket_candidates(
    py: Python<'_>,
    paths: Vec<PathBuf>,
) -> PyResult<PyArrowType<ArrayData>> {
    py.detach(|| {
        let mut keys = lsh::read_band_keys(&paths).map_err(value_error)?;
        let cands = lsh::candidates(&mut keys);
        drop(keys);
        let flat = cands.as_flattened().to_vec();
        Ok(PyArrowType(UInt32Array::from(flat).into_data()))
    })
}

/// The verified edges of candidate triples (flattened uint32, see `minhash_bucket_candidates`)
/// as flattened uint32 pairs, where `docs` (sorted) are the documents whose signatures
/// `signatures` holds, row by row. Candidates with a document not in `docs` are left out.
#[pyfunction]
fn minhash_verify(
    py: Python<'_>,
    candidates: PyArrowType<ArrayData>,
    docs: PyArrowType<ArrayData>,
    signatures: PyArrowType<ArrayData>,
    num_perm: usize,
    threshold: f64,
) -> PyResult<PyArrowType<ArrayData>> {
    let cands = primitive::<UInt32Type>(candidates.0, "candidates must be a uint32 array")?;
    let docs = primitive::<UInt32Type>(docs.0, "docs must be a uint32 array")?;
    let sigs = signature_rows(signatures, num_perm, threshold)?;
    if !cands.len().is_multiple_of(3) || docs.len() * num_perm != sigs.len() {
        return Err(PyValueError::new_err(
            "candidates must be triples and signatures one row per doc",
        ));
    }
    py.detach(|| {
        let cands: Vec<[u32; 3]> = cands
            .values()
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect();
        let edges = lsh::verified_edges(&cands, docs.values(), sigs.values(), num_perm, threshold);
        let flat: Vec<u32> = edges.into_iter().flat_map(|(a, b)| [a, b]).collect();
        Ok(PyArrowType(UInt32Array::from(flat).into_data()))
    })
}

/// Each document's cluster root (its smallest member) in `0..n` after joining `a[i]` with
/// `b[i]` for every i.
#[pyfunction]
fn minhash_roots(
    py: Python<'_>,
    n: usize,
    a: PyArrowType<ArrayData>,
    b: PyArrowType<ArrayData>,
) -> PyResult<PyArrowType<ArrayData>> {
    let a = primitive::<UInt32Type>(a.0, "a must be a uint32 array")?;
    let b = primitive::<UInt32Type>(b.0, "b must be a uint32 array")?;
    let out_of_range = a
        .values()
        .iter()
        .chain(b.values())
        .any(|&d| d as usize >= n);
    if a.len() != b.len() || out_of_range || n > u32::MAX as usize {
        return Err(PyValueError::new_err(format!(
            "edges must be pairs of documents below {n}"
        )));
    }
    py.detach(|| {
        let mut sets = lsh::UnionFind::new(n);
        for (&x, &y) in a.values().iter().zip(b.values()) {
            sets.union(x, y);
        }
        Ok(PyArrowType(UInt32Array::from(sets.roots()).into_data()))
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
    m.add_function(wrap_pyfunction!(lsh_params, m)?)?;
    m.add_function(wrap_pyfunction!(minhash_band_keys, m)?)?;
    m.add_function(wrap_pyfunction!(minhash_bucket_candidates, m)?)?;
    m.add_function(wrap_pyfunction!(minhash_verify, m)?)?;
    m.add_function(wrap_pyfunction!(minhash_roots, m)?)?;
    m.add_function(wrap_pyfunction!(exact_duplicates, m)?)?;
    m.add_function(wrap_pyfunction!(exact_keys, m)?)?;
    m.add_function(wrap_pyfunction!(sha256_hex, m)?)?;
    Ok(())
}
