//! Arrow arrays in and out: any string array borrowed as strs, primitive arrays checked, struct
//! arrays assembled.

use std::sync::Arc;

use arrow_array::builder::LargeStringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::{
    Array, ArrayRef, ArrowPrimitiveType, LargeStringArray, PrimitiveArray, StringArray,
    StringViewArray, StructArray,
};
use arrow_data::ArrayData;
use arrow_pyarrow::PyArrowType;
use arrow_schema::Field;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

/// Borrow any Arrow string array (utf8, large_utf8, utf8_view) as an iterator of optional strs.
pub fn with_strings<R>(
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
pub fn primitive<T: ArrowPrimitiveType>(
    data: ArrayData,
    expected: &str,
) -> PyResult<PrimitiveArray<T>> {
    arrow_array::make_array(data)
        .as_primitive_opt::<T>()
        .cloned()
        .ok_or_else(|| PyTypeError::new_err(expected.to_string()))
}

/// `f` over every string of an Arrow string array, GIL released; nulls stay null. Returns a
/// `large_string` array.
pub fn map_strings(
    py: Python<'_>,
    texts: PyArrowType<ArrayData>,
    f: impl Fn(&str) -> String + Send + Sync,
) -> PyResult<PyArrowType<ArrayData>> {
    py.detach(|| {
        with_strings(texts.0, |it| {
            let mut b = LargeStringBuilder::new();
            for s in it {
                b.append_option(s.map(&f));
            }
            PyArrowType(b.finish().into_data())
        })
    })
}

/// A struct array of named columns; the columns named in `nullable` may hold nulls.
pub fn struct_of(cols: Vec<(&str, ArrayRef)>, nullable: &[&str]) -> ArrayData {
    let fields: Vec<Arc<Field>> = cols
        .iter()
        .map(|(n, a)| Arc::new(Field::new(*n, a.data_type().clone(), nullable.contains(n))))
        .collect();
    let arrays = cols.into_iter().map(|(_, a)| a).collect();
    StructArray::new(fields.into(), arrays, None).into_data()
}
