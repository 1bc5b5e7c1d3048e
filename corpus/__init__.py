"""Corpus runs: readers for each input format, the stages of a run over Arrow batches
(`corpus.pipeline`), the runner with its manifest and workers, duplicates across shards, the
DuckDB catalog and the report. `termnorm corpus run` is its command."""
