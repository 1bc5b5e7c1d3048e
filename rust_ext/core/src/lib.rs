//! termnorm-core: the pure-Rust hot paths of termnorm (no Python here).
//!
//! - `normalize`: clinical text normalization with an offset map back to the original text;
//! - `tokens`: the token edges terms must start and end on;
//! - `lexicon`: normalized terms and their concepts, matched leftmost-longest on tokens;
//! - `paths`: the terms as token paths in a hash table, the matcher's walk;
//! - `mapped`: the saved lexicon and fuzzy index read in place from a file mapping;
//! - `context`: ConText-style negation / uncertainty / history / family scopes;
//! - `fuzzy`: order/inflection-insensitive keys and a trigram index for near misses;
//! - `senses`: abbreviation senses chosen by the words around a mention;
//! - `annotate`: one document through all of them;
//! - `quality`: per-document quality and script signals for the corpus filters;
//! - `boilerplate`: lines many documents of a batch share;
//! - `jsonl`: JSON lines into document columns;
//! - `phi`, `phi_names`, `surrogates`: de-identification rules, name and place words, stand-ins;
//! - `clean`, `minhash`, `digest`, `patterns`: the corpus stages' text passes and hashes;
//! - `lsh`: near-duplicate clusters from signatures, in one process or bucket by bucket;
//! - `files`: synced, atomically published files.

pub mod annotate;
pub mod boilerplate;
pub mod clean;
pub mod context;
pub mod digest;
pub mod files;
pub mod fuzzy;
pub mod jsonl;
pub mod lexicon;
pub mod lsh;
mod mapped;
pub mod minhash;
pub mod normalize;
pub mod paths;
pub mod patterns;
pub mod phi;
pub mod phi_names;
pub mod quality;
pub mod senses;
pub mod surrogates;
mod t2s_table;
pub mod tokens;

pub use annotate::{Annotation, CharBytes, Engine, Mention};
pub use context::{Context, Flags};
pub use fuzzy::FuzzyIndex;
pub use lexicon::Lexicon;
pub use normalize::{normalize, normalize_into, Normalized};
pub use senses::SenseTable;
