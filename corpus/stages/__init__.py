"""Corpus stages, one module each; the hot loops are in Rust."""
