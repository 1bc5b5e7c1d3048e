"""The hand-written stubs of the Rust extension agree with the module as built."""

import subprocess
import sys
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]


def test_stubs_match_the_built_extension():
    # stubtest imports the module and compares every name, signature and class flag
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy.stubtest",
            "termnorm._native",
            "--mypy-config-file",
            str(ROOT / "pyproject.toml"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_constants_shared_across_the_ffi_come_from_rust():
    from corpus.stages import phi, quality
    from ontology.schema import SYNONYM_KINDS
    from termnorm import _native

    assert SYNONYM_KINDS == tuple(_native.SYNONYM_KINDS)
    assert phi.TYPES == tuple(_native.PHI_TYPES)
    assert set(quality.SIGNALS) <= set(_native.QUALITY_SIGNALS)
    signals = _native.quality_signals(pa.array(["a b"]))
    assert signals.type.names == _native.QUALITY_SIGNALS
