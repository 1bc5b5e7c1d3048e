"""Evaluation of a trained checkpoint on documents the model did not train on.

- perplexity over the validation rows of the prepared data (held-out documents of the catalog);
- a term probe: at concept mentions in held-out documents, does the model, given the text before
  the mention, give another synonym of the mentioned concept a higher mean log-probability per
  token than names of random other concepts as long in tokens? Accuracy over (synonym, random)
  pairs; chance 0.5.

Writes `out/eval.json` and `out/eval.html`.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import orjson
import polars as pl

from modelbuild.prepare import is_validation, load_split, manifest
from termnorm_utils.files import atomic_path

CANDIDATES = 40  # random names drawn per probe item, before matching lengths


def perplexity(model, rows: np.ndarray, batch: int = 8, max_rows: int | None = None) -> dict:
    import torch

    rows = rows[:max_rows] if max_rows else rows
    device = next(model.parameters()).device
    nll, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(rows), batch):
            x = torch.as_tensor(np.asarray(rows[i : i + batch], dtype=np.int64), device=device)
            loss = model(input_ids=x, labels=x).loss.item()
            n = x.shape[0] * (x.shape[1] - 1)
            nll += loss * n
            count += n
    if count == 0:
        return {"rows": 0, "tokens": 0, "loss": None, "perplexity": None}
    mean = nll / count
    return {"rows": len(rows), "tokens": count, "loss": mean, "perplexity": math.exp(mean)}


def _synonyms(ontology: str | Path) -> dict[str, list[str]]:
    """English names per concept (short ones: a probe compares words, not definitions)."""
    syn = (
        pl.scan_parquet(Path(ontology) / "synonyms.parquet")
        .filter((pl.col("lang") == "en") & (pl.col("term").str.len_chars() <= 40))
        .select("concept_id", "term")
        .unique()
        .sort("concept_id", "term")
        .collect()
    )
    out: dict[str, list[str]] = {}
    for cid, term in syn.iter_rows():
        out.setdefault(cid, []).append(term)
    return out


def probe_items(
    data: str | Path, ontology: str | Path, n: int = 100, seed: int = 0, window: int = 300
) -> list[dict]:
    """Held-out mentions with another synonym of their concept and random other names."""
    from corpus.catalog import query
    from modelbuild.selection import select_sql

    meta = manifest(data)
    catalog, share = meta["catalog"], meta["validation_share"]
    # the split `prepare` made: by the patient's key, else the document's
    docs = query(catalog, select_sql(meta["where"], "doc_id, coalesce(patient, doc_id) AS key"))
    held = [
        d
        for d, k in zip(
            docs.column("doc_id").to_pylist(), docs.column("key").to_pylist(), strict=True
        )
        if is_validation(k, share)
    ]
    if not held:
        return []
    rng = np.random.default_rng(seed)
    # enough documents for the items asked for, not every held-out one (the IN list stays small)
    held = sorted(rng.permutation(held)[: max(2 * n, 50)].tolist())
    ids = ", ".join("'" + d.replace("'", "''") + "'" for d in held)
    mentions = query(
        catalog,
        'SELECT doc_id, start, "end", surface, concept_id FROM mentions '
        f"WHERE NOT negated AND doc_id IN ({ids}) ORDER BY doc_id, start",
    ).to_pylist()
    t = query(catalog, f"SELECT doc_id, text FROM docs WHERE doc_id IN ({ids})")
    texts = dict(zip(t.column("doc_id").to_pylist(), t.column("text").to_pylist(), strict=True))
    names = _synonyms(ontology)
    pool = sorted({t for ts in names.values() for t in ts})
    usable = [
        m
        for m in mentions
        if any(t.lower() != m["surface"].lower() for t in names.get(m["concept_id"], []))
    ]
    picked = (
        sorted(rng.choice(len(usable), size=min(n, len(usable)), replace=False).tolist())
        if usable
        else []
    )
    items = []
    for i in picked:
        m = usable[i]
        others = [t for t in names[m["concept_id"]] if t.lower() != m["surface"].lower()]
        own = set(names[m["concept_id"]])
        # candidates: `term_probe` keeps those as long in tokens as the synonym
        candidates = [
            pool[j]
            for j in rng.choice(len(pool), size=CANDIDATES, replace=False)
            if pool[j] not in own
        ]
        items.append(
            {
                "doc_id": m["doc_id"],
                "concept_id": m["concept_id"],
                "surface": m["surface"],
                "context": texts[m["doc_id"]][max(0, m["start"] - window) : m["start"]].rstrip(),
                "synonym": others[int(rng.integers(len(others)))],
                "candidates": candidates,
            }
        )
    return items


def _term_score(model, tok, context: str, term: str) -> float:
    """Mean log-probability per token of " term" after `context`."""
    import torch

    right = tok(" " + term, add_special_tokens=False)["input_ids"]
    room = model.config.max_position_embeddings - len(right)
    left = tok(context, add_special_tokens=False)["input_ids"][-room:] or [tok.eos_token_id]
    device = next(model.parameters()).device
    x = torch.tensor([left + right], device=device)
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=x).logits[0, :-1].float(), dim=-1)
    pos = torch.arange(len(left) - 1, len(left) + len(right) - 1, device=device)
    return logp[pos, x[0, len(left) :]].mean().item()


def term_probe(model, tok, items: list[dict], n_random: int = 4) -> dict:
    """Random names as long in tokens as the synonym (nearest first): a score per token favours
    names of many easy tokens, a total score short names; length-matched rivals favour neither."""
    wins, pairs = 0, 0
    for it in items:
        want = len(tok(" " + it["synonym"], add_special_tokens=False)["input_ids"])
        cands = it.pop("candidates", it.get("random", []))
        lens = [
            len(ids) for ids in tok([" " + c for c in cands], add_special_tokens=False)["input_ids"]
        ]
        near = sorted(range(len(cands)), key=lambda i: (abs(lens[i] - want), i))
        it["random"] = [cands[i] for i in near[:n_random]]
        s = _term_score(model, tok, it["context"], it["synonym"])
        it["synonym_score"] = s
        it["random_scores"] = [_term_score(model, tok, it["context"], r) for r in it["random"]]
        wins += sum(s > r for r in it["random_scores"])
        pairs += len(it["random_scores"])
    return {"items": len(items), "pairs": pairs, "accuracy": wins / pairs if pairs else None}


def evaluate(
    model_dir: str | Path,
    data: str | Path,
    out: str | Path,
    ontology: str | Path | None = None,
    probe: int = 100,
    max_rows: int | None = None,
) -> dict:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).to(device).eval()
    tok = AutoTokenizer.from_pretrained(model_dir)
    result: dict = {"model": str(model_dir), "data": str(data)}
    result["perplexity"] = perplexity(model, load_split(data, "validation"), max_rows=max_rows)
    items: list[dict] = []
    if ontology:
        items = probe_items(data, ontology, probe)
        result["term_probe"] = term_probe(model, tok, items)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "eval.json") as tmp:
        tmp.write_bytes(orjson.dumps(result | {"probe_items": items}, option=orjson.OPT_INDENT_2))
    with atomic_path(out / "eval.html") as tmp:
        tmp.write_text(_html(result, items))
    return result


def _html(result: dict, items: list[dict]) -> str:
    def rows(d: dict) -> str:
        return "".join(
            f"<tr><td>{html.escape(k)}</td><td>{html.escape(_fmt(v))}</td></tr>"
            for k, v in d.items()
        )

    parts = [
        "<!doctype html><meta charset='utf-8'><title>termnorm model eval</title>",
        "<style>body{font:14px sans-serif;margin:2em}td{padding:2px 10px}</style>",
        f"<h1>Evaluation of {html.escape(result['model'])}</h1>",
        "<h2>Perplexity (held-out documents)</h2><table>",
        rows(result["perplexity"]),
        "</table>",
    ]
    if "term_probe" in result:
        parts += [
            "<h2>Term probe</h2><table>",
            rows(result["term_probe"]),
            "</table>",
            (
                "<table><tr><th>context (end)</th><th>mention</th><th>synonym</th>"
                "<th>score</th><th>random names (scores)</th></tr>"
            ),
        ]
        for it in items[:30]:
            rnd = ", ".join(
                f"{r} ({s:.2f})" for r, s in zip(it["random"], it["random_scores"], strict=True)
            )
            parts.append(
                "<tr>"
                + "".join(
                    f"<td>{html.escape(str(v))}</td>"
                    for v in (
                        "…" + it["context"][-60:],
                        it["surface"],
                        it["synonym"],
                        f"{it['synonym_score']:.2f}",
                        rnd,
                    )
                )
                + "</tr>"
            )
        parts.append("</table>")
    return "".join(parts)


def _fmt(v) -> str:
    return f"{v:.4f}" if isinstance(v, float) else str(v)
