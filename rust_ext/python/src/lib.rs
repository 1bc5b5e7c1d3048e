//! Thin PyO3 bindings over termnorm-core: the module `termnorm._native`, one file per domain,
//! each registering its group of classes, functions and constants. Batches cross the FFI as
//! Arrow arrays, once per batch; the GIL is released while Rust works. The logic lives in the
//! core crate, where its tests are; these files convert types and errors.

mod arrow;
mod corpus;
mod dedup;
mod engine;
mod error;
mod phi;
mod quality;
mod senses;
mod text;

use pyo3::prelude::*;

// Batches allocate and free large buffers; glibc returns those to the kernel each time (page
// faults on every batch), mimalloc keeps and reuses them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    text::register(m)?;
    engine::register(m)?;
    senses::register(m)?;
    dedup::register(m)?;
    quality::register(m)?;
    corpus::register(m)?;
    phi::register(m)?;
    Ok(())
}
