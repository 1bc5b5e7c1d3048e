//! termnorm-core: the pure-Rust hot paths of termnorm (no Python here).
//!
//! - `normalize`: clinical text normalization with an offset map back to the original text;
//! - `lexicon`: normalized terms in an Aho-Corasick automaton, token-boundary aware;
//! - `context`: ConText-style negation / uncertainty / history / family scopes;
//! - `annotate`: one document through all of them.

pub mod annotate;
pub mod context;
pub mod lexicon;
pub mod normalize;

pub use annotate::{Engine, Mention};
pub use context::{Context, Flags};
pub use lexicon::Lexicon;
pub use normalize::{normalize, Normalized};
