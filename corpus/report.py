"""The run report: `report.html` in the output folder, one self-contained page (inline SVG, no
scripts, no network) drawn from the catalog: the summary, language mix, document types,
specialties, duplicate cluster sizes, PHI found by type, top concepts and rejects by reason.
"""

from __future__ import annotations

import html
from pathlib import Path

import duckdb

from corpus import catalog
from corpus.stages.phi import TYPES
from termnorm_utils.charts import bar_chart
from termnorm_utils.files import atomic_path

# Charts of the kept documents (duplicates left out) by one column each, all drawn from one
# scan of `docs`: (title, value, how many bars)
DOC_CHARTS: list[tuple[str, str, int]] = [
    ("Languages", "coalesce(lang, 'und')", 12),
    ("Document types", "coalesce(doc_type, '?')", 12),
    ("Specialties (from concepts)", "coalesce(specialty, '(none)')", 15),
]
CHARTS: list[tuple[str, str]] = [
    (
        "Duplicate cluster sizes",
        """
        SELECT size::VARCHAR AS k, count(*) AS n
        FROM (SELECT dup_cluster, count(*) AS size FROM duplicates GROUP BY 1)
        GROUP BY size ORDER BY size LIMIT 20""",
    ),
    # one row, a column per type (half the time of an UNPIVOT into rows)
    (
        "PHI found, by type",
        "SELECT "
        + ", ".join(f"coalesce(sum(phi.{t}), 0)::BIGINT AS {t}" for t in TYPES)
        + " FROM docs",
    ),
    # from the shards' counts, which carry names: no scan of the mentions and the
    # terminology's names (44 of the report's ~85 ms on MTSamples did that)
    (
        "Top concepts (affirmed mentions)",
        """
        SELECT name AS k, sum(affirmed)::BIGINT AS n FROM concept_counts
        GROUP BY 1 HAVING n > 0 ORDER BY n DESC, k LIMIT 20""",
    ),
    (
        "Rejects by reason",
        """
        SELECT regexp_replace(reason, '[0-9]+', 'N', 'g') AS k, count(*) AS n
        FROM rejects GROUP BY 1 ORDER BY n DESC, k LIMIT 15""",
    ),
]
NOT_RECORDED = '<p class="empty">not recorded in this run</p>'

STYLE = """body{font:14px system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}
table.summary td{padding:2px 12px 2px 0}svg text{font:12px system-ui,sans-serif}
.bar{fill:#4a7ab5}.empty{color:#888}"""


def write(out: str | Path, summary: dict, con: duckdb.DuckDBPyConnection | None = None) -> Path:
    """Write `report.html` for the run in `out` from its catalog (on `con` when given, e.g.
    the one `catalog.building` hands over) and the run's summary."""
    out = Path(out)
    own = con is None
    con = catalog.connect(out) if own else con
    try:
        sections = [
            f"<h2>{html.escape(title)}</h2>\n{body}"
            for title, body in [*_doc_charts(out, con), *_charts(out, con)]
        ]
    finally:
        if own:
            con.close()
    cells = "".join(
        f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(_fmt(v))}</td></tr>"
        for k, v in summary.items()
    )
    page = (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>termnorm corpus run</title><style>{STYLE}</style></head><body>\n"
        f'<h1>termnorm corpus run</h1>\n<table class="summary">{cells}</table>\n'
        + "\n".join(sections)
        + "\n</body></html>\n"
    )
    path = out / "report.html"
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path


def _doc_charts(out: Path, con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """DOC_CHARTS from one GROUPING SETS query: bars by count, then label."""
    cols = [f"{value} AS c{i}" for i, (_, value, _) in enumerate(DOC_CHARTS)]
    sets = ", ".join(f"(c{i})" for i in range(len(DOC_CHARTS)))
    sql = (
        f"SELECT *, count(*) AS n FROM (SELECT {', '.join(cols)} FROM docs "
        f"WHERE dup_of IS NULL AND withdrawn IS NULL) GROUP BY GROUPING SETS ({sets})"
    )
    try:
        rows = catalog.query(out, sql, con).to_pylist()
    except duckdb.Error:  # a stage was off (no such column): chart by chart
        each = (
            "SELECT {} AS k, count(*) AS n FROM docs WHERE dup_of IS NULL AND withdrawn IS "
            "NULL GROUP BY 1 ORDER BY n DESC, k LIMIT {}"
        )
        return _charts(
            out, con, [(title, each.format(value, limit)) for title, value, limit in DOC_CHARTS]
        )
    charts = []
    for i, (title, _, limit) in enumerate(DOC_CHARTS):
        bars = sorted(
            ((r[f"c{i}"], r["n"]) for r in rows if r[f"c{i}"] is not None),
            key=lambda b: (-b[1], b[0]),
        )
        charts.append((title, bar_chart(bars[:limit])))
    return charts


def _charts(
    out: Path, con: duckdb.DuckDBPyConnection, charts: list[tuple[str, str]] = CHARTS
) -> list[tuple[str, str]]:
    """(title, chart) of each query, whose rows are (k, n), or whose one row holds a column
    per bar; "not recorded" where a stage that was off left nothing to draw from."""
    drawn = []
    for title, sql in charts:
        try:
            result = catalog.query(out, sql, con)
        except duckdb.Error:
            drawn.append((title, NOT_RECORDED))
            continue
        if result.column_names == ["k", "n"]:
            rows = [(r["k"], int(r["n"])) for r in result.to_pylist() if r["n"] is not None]
        else:
            rows = [(k, int(v)) for k, v in (result.to_pylist() or [{}])[0].items()]
        drawn.append((title, bar_chart(rows)))
    return drawn


def _fmt(v) -> str:
    return f"{v:,.1f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)
