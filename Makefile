# Quick start: `make demo` (set up + run the whole path on data_samples/: terminology, corpus,
# catalog, tokenizer, a tiny model trained, fine-tuned and evaluated), `make test` (set up + all tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLE := data_samples/terminology
OUT := out/sample-terminology
SAMPLE_SOURCES := obo:$(SAMPLE)/hp-sample.obo icd10cm:$(SAMPLE)/icd10cm-sample.xml \
	babelon:$(SAMPLE)/hp-zh-sample.babelon.tsv tsv:$(SAMPLE)/local-synonyms.tsv

.PHONY: demo test lint install install-dev bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e '.[train]'

install-dev: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@# Chromium renders the run report in a test; installed where this user may (Debian/Ubuntu).
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
		(apt-get install -y -q chromium >/dev/null 2>&1 || \
		 (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1)) || \
		echo "Chromium not installed: the report rendering test will be skipped (fails under CI)"

demo: install
	$(BIN)/termnorm ontology build $(OUT) $(SAMPLE_SOURCES)
	$(BIN)/termnorm ontology info $(OUT)
	$(BIN)/termnorm ontology query $(OUT) ancestors ICD10CM:E11.9
	$(BIN)/termnorm ontology query $(OUT) search 'Ⅱ型糖尿病'
	$(BIN)/termnorm ontology query $(OUT) search 'HTN'
	$(BIN)/termnorm normalize --ontology $(OUT) "$$(head -1 data_samples/notes/notes.jsonl | $(BIN)/python -c 'import sys, json; print(json.load(sys.stdin)["text"])')"
	$(BIN)/termnorm normalize --ontology $(OUT) "$$(sed -n 4p data_samples/notes/notes.jsonl | $(BIN)/python -c 'import sys, json; print(json.load(sys.stdin)["text"])')"
	$(BIN)/termnorm corpus run --input 'data_samples/notes/*.jsonl' --out out/sample-corpus --ontology $(OUT) --id-field note_id
	$(BIN)/termnorm catalog query out/sample-corpus "SELECT doc_id, lang, doc_type, meta->>'\$$.specialty' AS stated, specialty, year, dup_of FROM docs ORDER BY doc_id"
	$(BIN)/termnorm catalog query out/sample-corpus "SELECT c.name, count(*) AS n FROM mentions m JOIN concepts c USING (concept_id) WHERE NOT m.negated GROUP BY 1 ORDER BY n DESC, 1 LIMIT 8"
	$(BIN)/termnorm tokenizer train --catalog out/sample-corpus --out out/sample-tokenizer --vocab-size 600 --ontology $(OUT) --top-terms 50
	$(BIN)/termnorm tokenizer report --tokenizer out/sample-tokenizer --text data_samples/notes/notes.jsonl --ontology $(OUT)
	$(BIN)/termnorm model prepare --catalog out/sample-corpus --tokenizer out/sample-tokenizer --out out/sample-data --seq-len 64 --validation 0.3 --sft data_samples/finetune/sft.jsonl --preferences data_samples/finetune/preferences.jsonl
	$(BIN)/termnorm model pretrain --config data_samples/model-tiny.yaml --data out/sample-data --out out/sample-model
	$(BIN)/termnorm model finetune --method lora --model out/sample-model/model --data out/sample-data --out out/sample-lora --steps 5 --lr 1e-3
	$(BIN)/termnorm model eval --model out/sample-lora/model --data out/sample-data --out out/sample-eval --ontology $(OUT)

# Property tests draw from a fixed seed, so a failure reproduces (a new seed: override it).
PROPTEST_RNG_SEED ?= 20261202

# The house style and the layer contract (pyproject.toml); .pre-commit-config.yaml runs the same.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	cd rust_ext && cargo fmt --check && cargo clippy --all-targets -- -D warnings

test: lint
	cd rust_ext && PROPTEST_RNG_SEED=$(PROPTEST_RNG_SEED) cargo test -p termnorm-core
	$(BIN)/python -m pytest -q

bench: install-dev
	$(BIN)/python bench/bench_build.py
	$(BIN)/python bench/bench_normalize.py
