"""Domain tokenizers on HF `tokenizers`: train on a catalog selection, then make the most
frequent clinical terms single tokens without growing the vocabulary.

- byte-level BPE: the term's pre-token with its leading space ("Ġhypertension") becomes one
  token in running text: no stray space token before it, and decoding gives back the exact
  bytes. Tokenizers trained here look a whole pre-token up in the vocabulary before merging
  (`ignore_merges`, as Llama 3 does), so a term takes one vocabulary slot; for a base model's
  tokenizer that merges every word (GPT-2's), the term's merge chain is appended after its
  merges instead, which leaves every other word's tokens as they were;
- WordPiece and Unigram: the term joins the vocabulary as an ordinary piece (WordPiece's longest
  match and Unigram's best path then take it whole); this departs from the issue's "added
  tokens" because added tokens are matched before pre-tokenization, inside longer words too,
  and skip the model entirely.

The vocabulary then gives back as many of its least useful learned pieces as the terms took
(the last BPE merges nothing else builds on, the last WordPiece entries, the lowest-scoring
Unigram pieces), so a 32k tokenizer stays 32k.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import orjson
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from termnorm_utils.errors import InputError
from termnorm_utils.files import atomic_path

MODELS = ("bpe", "wordpiece", "unigram")
SPECIALS = {
    "bpe": {"eos_token": "<|endoftext|>", "pad_token": "<|pad|>"},
    "wordpiece": {
        "pad_token": "[PAD]",
        "unk_token": "[UNK]",
        "cls_token": "[CLS]",
        "eos_token": "[SEP]",
        "sep_token": "[SEP]",
        "mask_token": "[MASK]",
    },
    "unigram": {"pad_token": "<pad>", "eos_token": "</s>", "unk_token": "<unk>"},
}
# GPT-2's pre-token pattern, but a word keeps its inner hyphens and trailing digits together
# ("x-ray", "G-CSF", "B12", "S3"): clinical terms that could otherwise never be one token.
PRE_TOKENS = (
    r"'(?:[sdmt]|ll|ve|re)| ?\p{L}+(?:-\p{L}+)*\p{N}*| ?\p{N}+| ?[^\s\p{L}\p{N}]+"
    r"|\s+(?!\S)|\s+"
)
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
META = "termnorm.json"
TOKENIZER_FILES = ("tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja")


def _specials(model: str) -> list[str]:
    return list(dict.fromkeys(SPECIALS[model].values()))


def new(model: str, vocab_size: int, min_frequency: int = 2):
    """An untrained tokenizer of kind `model` and its trainer."""
    specials = _specials(model)
    if model == "bpe":
        tok = Tokenizer(models.BPE(ignore_merges=True))
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(PRE_TOKENS), behavior="isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            special_tokens=specials,
            show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        )
    elif model == "wordpiece":
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        # cased; CJK characters become words of their own, as in BERT
        tok.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece()
        trainer = trainers.WordPieceTrainer(
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            special_tokens=specials,
            show_progress=False,
        )
    elif model == "unigram":
        tok = Tokenizer(models.Unigram())
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
        trainer = trainers.UnigramTrainer(
            vocab_size=vocab_size, special_tokens=specials, unk_token="<unk>", show_progress=False
        )
    else:
        raise InputError(f"unknown tokenizer model {model!r} (one of {', '.join(MODELS)})")
    return tok, trainer


def train(
    batches: Iterable[list[str]], model: str, vocab_size: int, min_frequency: int = 2
) -> Tokenizer:
    tok, trainer = new(model, vocab_size, min_frequency)
    tok.train_from_iterator(batches, trainer=trainer)
    return tok


def _piece(tok: Tokenizer, term: str) -> str | None:
    """The pre-token `term` becomes in running text (after a space, but for CJK terms, which
    sit inside runs of characters), or None when it would not be one pre-token."""
    if tok.pre_tokenizer is None:
        # SentencePiece-style (Llama 2, Mistral): the normalizer writes spaces as "▁" and
        # prepends one; the whole text is one pre-token and the term's piece is "▁term"
        if any(c.isspace() for c in term) or tok.normalizer is None:
            return None
        return tok.normalizer.normalize_str(term)
    text = term if CJK.search(term) else " " + term
    if tok.normalizer is not None:
        text = tok.normalizer.normalize_str(text)
    pieces = tok.pre_tokenizer.pre_tokenize_str(text)
    return pieces[0][0] if len(pieces) == 1 else None


def _bpe_split(word: str, ranks: dict[tuple[str, str], int]) -> list[str]:
    """BPE of one pre-token: the lowest-ranked adjacent pair merges first (leftmost on ties),
    as the tokenizers library does."""
    parts = list(word)
    while len(parts) > 1:
        best, at = None, -1
        for i in range(len(parts) - 1):
            r = ranks.get((parts[i], parts[i + 1]))
            if r is not None and (best is None or r < best):
                best, at = r, i
        if best is None:
            break
        parts[at : at + 2] = [parts[at] + parts[at + 1]]
    return parts


def _extend_bpe(model: dict, pieces: list[str], vocab_size: int, next_id: int) -> list[str]:
    vocab: dict[str, int] = model["vocab"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ", 1)) for m in model["merges"]]
    learned = len(merges)
    ranks = {m: i for i, m in enumerate(merges)}
    added = []
    whole = model.get("ignore_merges", False)
    for piece in pieces:
        if piece in vocab and (whole or _bpe_split(piece, ranks) == [piece]):
            continue
        if whole:
            vocab[piece] = next_id
            next_id += 1
            added.append(piece)
            continue
        parts = _bpe_split(piece, ranks)
        if any(p not in vocab for p in parts):
            continue  # a byte outside the alphabet: cannot happen for byte-level, but be safe
        left = parts[0]
        for right in parts[1:]:
            if (left, right) not in ranks:
                ranks[(left, right)] = len(merges)
                merges.append((left, right))
            left += right
            if left not in vocab:
                vocab[left] = next_id
                next_id += 1
        added.append(piece)
    # give back learned merges from the end that nothing kept builds on
    uses = Counter(p for m in merges for p in m)
    keep = set(pieces)
    drop: set[str] = set()
    dropped_merges: set[int] = set()
    for i in range(learned - 1, -1, -1):
        if len(vocab) - len(drop) <= vocab_size:
            break
        a, b = merges[i]
        out = a + b
        if uses[out] == 0 and out not in keep and out in vocab and out not in drop:
            drop.add(out)
            dropped_merges.add(i)
            uses[a] -= 1
            uses[b] -= 1
    model["merges"] = [list(m) for i, m in enumerate(merges) if i not in dropped_merges]
    model["vocab"] = _renumber(vocab, drop)
    return added


def _renumber(vocab: dict[str, int], drop: set[str]) -> dict[str, int]:
    """IDs without the dropped tokens' gaps (unchanged when nothing is dropped)."""
    if not drop:
        return vocab
    kept = sorted((i, t) for t, i in vocab.items() if t not in drop)
    return {t: n for n, (_, t) in enumerate(kept)}


def _extend_wordpiece(
    model: dict, pieces: list[str], vocab_size: int, specials: set[str], next_id: int
) -> list[str]:
    vocab: dict[str, int] = model["vocab"]
    added = [p for p in pieces if p not in vocab]
    for n, p in enumerate(added):
        vocab[p] = next_id + n
    protected = set(pieces) | specials
    drop: set[str] = set()
    for t, _ in sorted(vocab.items(), key=lambda kv: -kv[1]):
        if len(vocab) - len(drop) <= vocab_size:
            break
        if t not in protected and len(t.removeprefix("##")) > 1:
            drop.add(t)
    model["vocab"] = _renumber(vocab, drop)
    return added


def _extend_unigram(
    model: dict, pieces: list[str], vocab_size: int, specials: set[str]
) -> list[str]:
    vocab: list[list] = model["vocab"]
    have = {p for p, _ in vocab}
    # every learned score is a log-probability < 0, so a piece scored like the best one beats
    # any split of it into two or more pieces
    best = max(s for p, s in vocab if p not in specials)
    added = [p for p in pieces if p not in have]
    vocab.extend([p, best] for p in added)
    protected = set(pieces) | specials
    order = sorted(range(len(vocab)), key=lambda i: (vocab[i][1], -i))
    drop: set[int] = set()
    for i in order:
        if len(vocab) - len(drop) <= vocab_size:
            break
        p = vocab[i][0]
        if p not in protected and len(p.removeprefix("▁")) > 1:
            drop.add(i)
    unk = vocab[model["unk_id"]][0] if model.get("unk_id") is not None else None
    model["vocab"] = [v for i, v in enumerate(vocab) if i not in drop]
    if unk is not None:
        model["unk_id"] = next(i for i, (p, _) in enumerate(model["vocab"]) if p == unk)
    return added


def kind_of(tok: Tokenizer) -> str:
    kind = {"BPE": "bpe", "WordPiece": "wordpiece", "Unigram": "unigram"}.get(
        orjson.loads(tok.to_str())["model"]["type"]
    )
    if kind is None:
        raise InputError("only BPE, WordPiece and Unigram tokenizers can be extended")
    return kind


def extend(
    tok: Tokenizer,
    kind: str,
    terms: Sequence[str],
    vocab_size: int | None = None,
    grow: bool = False,
) -> tuple[Tokenizer, list[str]]:
    """`tok` with `terms` (most frequent first) as single tokens, trimmed back to `vocab_size`
    (default: its size before) or, with `grow`, with the terms on top and every existing ID
    unchanged (a base model's tokenizer before continued pretraining). Returns it and the
    terms that were added."""
    size = 1 << 62 if grow else vocab_size or tok.get_vocab_size()
    spec = orjson.loads(tok.to_str())
    if (
        kind == "unigram"
        and grow
        and any(a["id"] >= len(spec["model"]["vocab"]) for a in spec.get("added_tokens", []))
    ):
        # Unigram IDs are list positions: new pieces would take the added tokens' IDs
        raise InputError(
            "cannot grow a Unigram tokenizer whose added tokens sit past its "
            "vocabulary without moving them"
        )
    used = [a["id"] for a in spec.get("added_tokens", [])]
    vocab = spec["model"]["vocab"]
    used += list(vocab.values()) if isinstance(vocab, dict) else [len(vocab) - 1]
    next_id = max(used, default=-1) + 1
    pieces, by_piece = [], {}
    for t in terms:
        p = _piece(tok, t)
        if p is not None and p not in by_piece:
            by_piece[p] = t
            pieces.append(p)
    model = spec["model"]
    specials = set(_specials(kind)) | {a["content"] for a in spec.get("added_tokens", [])}
    if kind == "bpe":
        added = _extend_bpe(model, pieces, size, next_id)
    elif kind == "wordpiece":
        added = _extend_wordpiece(model, pieces, size, specials, next_id)
    else:
        added = _extend_unigram(model, pieces, size, specials)
    vocab = model["vocab"]
    ids = vocab if isinstance(vocab, dict) else {p: i for i, (p, _) in enumerate(vocab)}
    for a in spec.get("added_tokens", []):
        a["id"] = ids.get(a["content"], a["id"])
    return Tokenizer.from_str(orjson.dumps(spec).decode()), [by_piece[p] for p in added]


def save(tok: Tokenizer, kind: str, out: str | Path, meta: dict) -> Path:
    """A folder that both `tokenizers` and transformers' AutoTokenizer load."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    specials = SPECIALS[kind]
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": 1 << 30,
        "clean_up_tokenization_spaces": False,
        **specials,
    }
    files = {
        "tokenizer_config.json": config,
        "special_tokens_map.json": specials,
        META: {"model": kind, "vocab_size": tok.get_vocab_size(), **meta},
    }
    with atomic_path(out / "tokenizer.json") as tmp:
        tmp.write_text(tok.to_str())
    for name, obj in files.items():
        with atomic_path(out / name) as tmp:
            tmp.write_bytes(orjson.dumps(obj, option=orjson.OPT_INDENT_2))
    return out


def load(path: str | Path) -> Tokenizer:
    """A tokenizer folder (tokenizer.json, or a BERT-style vocab.txt) or a tokenizer.json."""
    path = Path(path)
    if path.is_file():
        tok = Tokenizer.from_file(str(path))
    elif (path / "tokenizer.json").exists():
        tok = Tokenizer.from_file(str(path / "tokenizer.json"))
    elif (path / "vocab.txt").exists():
        from tokenizers import BertWordPieceTokenizer

        tok = BertWordPieceTokenizer(str(path / "vocab.txt"))._tokenizer
    else:
        raise FileNotFoundError(f"{path}: no tokenizer.json or vocab.txt")
    # shipped tokenizers may truncate to a model's length (BERT's 128) or pad
    tok.no_truncation()
    tok.no_padding()
    return tok


def eos_token(path: str | Path) -> str:
    """The end-of-document token of a tokenizer folder."""
    cfg = Path(path) / "tokenizer_config.json"
    if cfg.exists():
        eos = orjson.loads(cfg.read_bytes()).get("eos_token")
        if isinstance(eos, dict):
            eos = eos.get("content")
        if eos:
            return eos
    raise InputError(f"{path}: the tokenizer names no eos_token in tokenizer_config.json")


def build(
    catalog: str | Path,
    out: str | Path,
    model: str = "bpe",
    vocab_size: int = 32000,
    where: str | None = None,
    ontology: str | Path | None = None,
    top_terms: int = 0,
    min_frequency: int = 2,
) -> dict:
    """Train on the catalog's selection (one streamed read, counting clinical terms on the way
    when `ontology` is given), keep the `top_terms` most frequent whole, save to `out`."""
    from modelbuild.selection import texts
    from modelbuild.terms import TermCounter

    if model not in MODELS:
        raise InputError(f"unknown tokenizer model {model!r} (one of {', '.join(MODELS)})")
    docs = 0

    def counted(batches):
        nonlocal docs
        for b in batches:
            docs += len(b)
            yield b

    batches = counted(texts(catalog, where))
    counter = TermCounter(ontology) if ontology and top_terms else None
    if counter is not None:
        batches = counter.counting(batches)
    tok = train(batches, model, vocab_size, min_frequency)
    if docs == 0:
        raise InputError(f"{catalog}: the selection holds no documents (where: {where!r})")
    added: list[str] = []
    top: list[str] = []
    if counter is not None:
        top = candidates(counter, ontology, top_terms)
        tok, added = extend(tok, model, top, tok.get_vocab_size())
    meta = {
        "catalog": str(Path(catalog).resolve()),
        "where": where,
        "documents": docs,
        "requested_vocab_size": vocab_size,
        "terms_from": str(ontology) if ontology else None,
        "top_terms": len(top),
        "terms_added": len(added),
        "min_frequency": min_frequency,
    }
    save(tok, model, out, meta)
    return {"out": str(out), "model": model, "vocab_size": tok.get_vocab_size(), **meta}


def candidates(counter, ontology: str | Path, k: int) -> list[str]:
    """The terms to keep whole: the corpus's mention spellings, most frequent first; then
    the other cases of its terms (a heading's "PREGNANCY", a sentence's "Colposcopy"); then the
    terminology's most used name words."""
    from modelbuild.terms import case_variants, merge_ranked, name_words

    return merge_ranked(
        counter.spellings_ranked(),
        case_variants(counter.terms_ranked()),
        name_words(ontology, k),
        k=k,
    )


def grow(
    tokenizer: str | Path, out: str | Path, batches, ontology: str | Path, top_terms: int
) -> dict:
    """An existing tokenizer (a base model's, say) with the texts' most frequent clinical terms
    added on top: existing IDs unchanged, so a checkpoint trained with it continues after its
    embeddings are resized (`model pretrain --init`). The folder's other files are kept."""
    from modelbuild.terms import TermCounter

    src = Path(tokenizer)
    tok = load(src)
    kind = kind_of(tok)
    counter = TermCounter(ontology)
    for texts in batches:
        counter.add(texts)
    before = tok.get_vocab_size()
    tok, added = extend(tok, kind, candidates(counter, ontology, top_terms), grow=True)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in TOKENIZER_FILES:  # not vocab.txt / merges.txt: tokenizer.json replaces them
        if src.is_dir() and (src / name).exists() and src.resolve() != out.resolve():
            shutil.copy2(src / name, out / name)
    with atomic_path(out / "tokenizer.json") as tmp:
        tmp.write_text(tok.to_str())
    meta = {
        "model": kind,
        "grown_from": str(src),
        "vocab_size_before": before,
        "vocab_size": tok.get_vocab_size(),
        "terms_from": str(ontology),
        "terms_added": len(added),
    }
    with atomic_path(out / META) as tmp:
        tmp.write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2))
    return {"out": str(out), **meta}
