//! termnorm-core: the pure-Rust hot paths of termnorm (no Python here).
//!
//! `normalize`: clinical text normalization with an offset map back to the original text.

pub mod normalize;

pub use normalize::{normalize, Normalized};
