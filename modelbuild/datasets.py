"""Fine-tuning data: instruction/response JSONL for SFT and prompt/chosen/rejected JSONL for
preference training (DPO), validated row by row. A bad row is named by file and line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson

from termnorm_utils.errors import InputError

# accepted names of each field, the first is the one written out
SFT_FIELDS = {"prompt": ("prompt", "instruction"), "response": ("response", "output", "completion")}
PREFERENCE_FIELDS = {"prompt": ("prompt",), "chosen": ("chosen",), "rejected": ("rejected",)}
MAX_LISTED = 10


class DataError(InputError):
    """Bad rows in a fine-tuning file: each as `file:line: problem`."""


def _row(obj, fields: dict[str, tuple[str, ...]]) -> tuple[dict | None, str | None]:
    if not isinstance(obj, dict):
        return None, f"a JSON object expected, got {type(obj).__name__}"
    row = {}
    for name, aliases in fields.items():
        key = next((a for a in aliases if a in obj), None)
        if key is None:
            return None, f"missing field {' or '.join(repr(a) for a in aliases)}"
        value = obj[key]
        if not isinstance(value, str):
            return None, f"field {key!r} must be a string, got {type(value).__name__}"
        if not value.strip():
            return None, f"field {key!r} is empty"
        row[name] = value
    if obj.get("input"):  # Alpaca-style context goes after the instruction
        if not isinstance(obj["input"], str):
            return None, f"field 'input' must be a string, got {type(obj['input']).__name__}"
        row["prompt"] = f"{row['prompt']}\n\n{obj['input']}"
    if "chosen" in row and row["chosen"] == row["rejected"]:
        return None, "chosen and rejected are the same text"
    return row, None


def lines(path: str | Path) -> Iterator[tuple[int, bytes]]:
    """The non-blank lines of a file with their 1-based numbers (for `file:line` errors)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    with path.open("rb") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                yield n, line


def read(path: str | Path, kind: str) -> list[dict]:
    """The rows of an `sft` or `preference` JSONL file; DataError listing the bad ones."""
    fields = SFT_FIELDS if kind == "sft" else PREFERENCE_FIELDS
    rows, bad = [], []
    for n, line in lines(path):
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            bad.append(f"{path}:{n}: not valid JSON ({e})")
            continue
        row, problem = _row(obj, fields)
        if problem:
            bad.append(f"{path}:{n}: {problem}")
        else:
            rows.append(row)
    if bad:
        more = f"\n... and {len(bad) - MAX_LISTED} more" if len(bad) > MAX_LISTED else ""
        raise DataError(
            f"{len(bad)} bad row(s) in {kind} data:\n" + "\n".join(bad[:MAX_LISTED]) + more
        )
    if not rows:
        raise DataError(f"{path}: no rows")
    return rows


def write(rows: list[dict], path: str | Path) -> None:
    from termnorm_utils.files import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
