"""A two-node Ray run on one box, byte for byte against a local run: `ray start --head` and a
second node of its own (one CPU each, separate raylets), then `termnorm corpus run --engine ray
--ray-address ...` over MTSamples in 8 shard files, with a memory budget small enough that the
cross-shard grouping goes bucket by bucket as Ray tasks too.

    python bench/ray_two_nodes.py --ontology DIR

Prints how many shards each node processed, the seconds of each run, and whether the Parquet
outputs are the same bytes. Stops the nodes after (`ray stop`: any Ray of this user here).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench_workers import parquet_bytes, split

RAY = str(Path(sys.executable).with_name("ray"))
PORT = "6391"
HEAD = f"127.0.0.1:{PORT}"
# Ray's default for `ray start`: nodes and drivers share a token (~/.ray/auth_token here; on a
# real cluster, RAY_AUTH_TOKEN on every node)
ENV = {**os.environ, "RAY_AUTH_MODE": "token"}
BUDGET = "dedup.memory_gb=0.001"  # MTSamples' signatures in a few buckets


def corpus_run(raw: Path, out: Path, ontology: str, *extra: str) -> float:
    cmd = [sys.executable, "-m", "termnorm.cli", "corpus", "run", "--input", str(raw / "*.jsonl")]
    cmd += ["--out", str(out), "--ontology", ontology, "--text-field", "transcription"]
    cmd += ["--set", BUDGET, *extra]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=ENV)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ontology", required=True)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ray2-"))
    common = ["--num-cpus", "1", "--disable-usage-stats", "--node-ip-address", "127.0.0.1"]
    try:
        raw = tmp / "raw"
        raw.mkdir()
        split(raw)
        local = corpus_run(raw, tmp / "local", args.ontology, "--workers", "2")
        subprocess.run(
            [RAY, "start", "--head", "--port", PORT, "--include-dashboard=false", *common],
            check=True,
            capture_output=True,
            env=ENV,
        )
        subprocess.run(
            [RAY, "start", "--address", HEAD, *common], check=True, capture_output=True, env=ENV
        )
        on_ray = corpus_run(
            raw,
            tmp / "ray-out",
            args.ontology,
            "--engine",
            "ray",
            "--ray-address",
            f"127.0.0.1:{PORT}",
        )
        shards = json.loads((tmp / "ray-out" / "manifest.json").read_text())["shards"]
        nodes = Counter(e["node"] for e in shards.values())
        same = parquet_bytes(tmp / "local") == parquet_bytes(tmp / "ray-out")
        print(f"local, 2 workers: {local:.1f} s; two Ray nodes: {on_ray:.1f} s")
        print(f"shards per node: {sorted(nodes.values())} over {len(nodes)} nodes")
        print(f"same Parquet bytes (shards and duplicates): {same}")
    finally:
        subprocess.run([RAY, "stop", "--force"], capture_output=True, env=ENV)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
