#!/usr/bin/env bash
# The same inputs through two checkouts; every output file compared byte for byte.
#   bench/compare_outputs.sh OLD_CHECKOUT OLD_TERMINOLOGY NEW_TERMINOLOGY
# OLD_CHECKOUT needs its extension built in place (cargo build --release -p termnorm-python,
# lib_native.so copied to termnorm/_native.abi3.so); each side its own terminology folder (a
# copy), as lexicon caches may differ between versions. Run and summary files differ only in
# their `out` and `seconds`.
set -u
OLDCO=$1; OLDTERM=$2; NEWTERM=$3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=$ROOT/.venv/bin/python
S=$ROOT/../shared/data
run() { # side, terminology, out
  local side=$1 term=$2 out=$3
  if [ $side = old ]; then export PYTHONPATH=$OLDCO; else unset PYTHONPATH; fi
  rm -rf $out; mkdir -p $out
  $PY -m termnorm.cli corpus run --input "$S/corpora/mtsamples/mtsamples.jsonl.gz" --out $out/mts \
      --ontology $term --text-field transcription --workers 2 --json > $out/mts.json 2> $out/mts.err
  $PY -m termnorm.cli corpus run --input $S/formats/medline-xml --input $S/formats/pmc-jats \
      --input $S/formats/fhir --input $S/formats/warc --out $out/sources --ontology $term \
      --set phi.salt=samebytes-salt --json > $out/sources.json 2> $out/sources.err
  $PY -m termnorm.cli corpus run --input "$S/corpora/cblue/CMeEE_dev.json.gz" --out $out/cmeee \
      --ontology $term --text-field text --json > $out/cmeee.json 2> $out/cmeee.err
  $PY -m termnorm.cli normalize --ontology $term --json "Denies chest pain. H/o HTN. Pt has CAD, DM2 and COPD; SOB on exertion. 否认冠心病史，既往高血压病3级。" > $out/normalize.json
  $PY -m termnorm.cli phi "Husband Rich Martino in to visit; TRANSFER FROM CALVERT HOSPITAL 7/22. 患者李华因胸痛入院，电话139 1234 5678" > $out/phi.txt
  $PY -m termnorm.cli ontology build $out/sample-term obo:$ROOT/data_samples/terminology/hp-sample.obo icd10cm:$ROOT/data_samples/terminology/icd10cm-sample.xml babelon:$ROOT/data_samples/terminology/hp-zh-sample.babelon.tsv tsv:$ROOT/data_samples/terminology/local-synonyms.tsv --json > $out/build.json
}
run old $OLDTERM /tmp/sb-old
run new $NEWTERM /tmp/sb-new
$PY - <<'PY'
from pathlib import Path
old, new = Path("/tmp/sb-old"), Path("/tmp/sb-new")
files = sorted(p.relative_to(old) for p in old.rglob("*") if p.is_file()
               and p.suffix in (".parquet", ".json", ".txt") and "manifest" not in p.name
               and not p.name.startswith("."))
same = diff = 0
for f in files:
    a, b = (old / f).read_bytes(), (new / f).read_bytes() if (new / f).exists() else None
    if a == b:
        same += 1
    else:
        diff += 1
        print("DIFFERS:", f)
missing = [p.relative_to(new) for p in new.rglob("*.parquet") if not (old / p.relative_to(new)).exists()]
print(f"{same} files the same, {diff} differ; new-only: {missing}")
PY
