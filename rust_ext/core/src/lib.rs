//! termnorm-core: the pure-Rust hot paths of termnorm (no Python here).
//!
//! - `normalize`: clinical text normalization with an offset map back to the original text;
//! - `lexicon`: normalized terms in an Aho-Corasick automaton, token-boundary aware;
//! - `context`: ConText-style negation / uncertainty / history / family scopes;
//! - `fuzzy`: order/inflection-insensitive keys and a trigram index for near misses;
//! - `annotate`: one document through all of them.

pub mod annotate;
pub mod context;
pub mod fuzzy;
pub mod lexicon;
pub mod normalize;

pub use annotate::{Engine, Mention};
pub use context::{Context, Flags};
pub use fuzzy::FuzzyIndex;
pub use lexicon::Lexicon;
pub use normalize::{normalize, Normalized};
