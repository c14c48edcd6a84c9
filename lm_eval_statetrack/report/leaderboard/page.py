"""``index.html``: the board as one self-contained page (inline CSS, SVG and script; no
network at view time), readable from disk or any static host.

The table sorts by a click on a column header and filters by family and architecture
kind; each model has accuracy-vs-length curves per family (hard variants solid, controls
dashed, chance dotted) and its hard-vs-control gaps.
"""

from __future__ import annotations

import math
from html import escape

from lm_eval_statetrack.families.suite import installed_variant, is_hard

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:1200px;padding:0 1rem;
color:#222}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px}
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;white-space:nowrap}
th[data-type]{cursor:pointer;user-select:none}th[data-type]:hover{background:#eef}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.controls{display:flex;gap:1rem;align-items:center;flex-wrap:wrap;margin:1rem 0}
.models{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:.75rem}
.model{border:1px solid #ddd;border-radius:4px;padding:.25rem .75rem}.model h3{margin:.4rem 0}
.charts{display:flex;flex-wrap:wrap;gap:.5rem}
.note{color:#555;max-width:70rem}.rejected li{font-family:monospace;font-size:12px}
figure{margin:0}figcaption{font-size:12px;color:#444}
"""

SCRIPT = """
(function () {
  function cellValue(row, index, type) {
    var cell = row.children[index];
    var text = cell.getAttribute("data-value");
    if (text === null) text = cell.textContent;
    return type === "number" ? parseFloat(text) : text.toLowerCase();
  }
  function sortBy(th) {
    var table = th.closest("table");
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var type = th.getAttribute("data-type");
    var first = type === "number" ? "descending" : "ascending";
    var current = th.getAttribute("aria-sort");
    var order = current ? (current === "ascending" ? "descending" : "ascending") : first;
    table.querySelectorAll("th[aria-sort]").forEach(function (h) {
      h.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", order);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, type), y = cellValue(b, index, type);
      if (type === "number") {
        if (isNaN(x)) x = -Infinity;
        if (isNaN(y)) y = -Infinity;
      }
      var c = x < y ? -1 : x > y ? 1 : 0;
      return order === "ascending" ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll("th[data-type]").forEach(function (th) {
    th.addEventListener("click", function () { sortBy(th); });
  });
  var family = document.getElementById("family-filter");
  var arch = document.getElementById("arch-filter");
  function apply() {
    var shown = 0, total = 0;
    document.querySelectorAll("[data-families]").forEach(function (el) {
      var ok = (!family.value || el.getAttribute("data-families").split(" ")
                  .indexOf(family.value) >= 0) &&
               (!arch.value || el.getAttribute("data-arch") === arch.value);
      el.hidden = !ok;
      if (el.closest("table.board")) { total += 1; if (ok) shown += 1; }
    });
    document.getElementById("shown").textContent = shown + " of " + total + " models shown";
  }
  family.addEventListener("change", apply);
  arch.addEventListener("change", apply);
  apply();
})();
"""

W, H, LEFT, RIGHT, TOP, BOTTOM = 300, 170, 34, 10, 10, 28


def _x(length: int, lo: int, hi: int) -> float:
    if hi == lo:
        return LEFT + (W - LEFT - RIGHT) / 2
    return LEFT + (math.log2(length) - math.log2(lo)) / (math.log2(hi) - math.log2(lo)) * (
        W - LEFT - RIGHT
    )


def _y(value: float) -> float:
    return TOP + (1 - value) * (H - TOP - BOTTOM)


def family_chart(model: str, family: str, horizons: list[dict]) -> str:
    """One family's curves of one model as an inline SVG: a line per variant (hard solid,
    control dashed) and each variant's chance level dotted in its colour."""
    ladder = sorted({n for r in horizons for n in installed_variant(family, r["variant"]).lengths})
    lo, hi = ladder[0], ladder[-1]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" role="img" aria-label="{escape(model)}: {family} accuracy '
        'against length">',
        f'<rect x="{LEFT}" y="{TOP}" width="{W - LEFT - RIGHT}" height="{H - TOP - BOTTOM}" '
        'fill="none" stroke="#bbb"/>',
    ]
    for v in (0, 0.5, 1):
        parts.append(
            f'<text x="{LEFT - 4}" y="{_y(v) + 4:.1f}" font-size="10" text-anchor="end">{v:g}'
            "</text>"
        )
    for n in ladder:
        parts.append(
            f'<text x="{_x(n, lo, hi):.1f}" y="{H - BOTTOM + 12}" font-size="10" '
            f'text-anchor="middle">{n}</text>'
        )
    parts.append(
        f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - 3}" font-size="10" '
        'text-anchor="middle">length</text>'
    )
    for i, r in enumerate(horizons):
        color = COLORS[i % len(COLORS)]
        cy = _y(r["chance"])
        parts.append(
            f'<line class="chance" x1="{LEFT}" x2="{W - RIGHT}" y1="{cy:.1f}" y2="{cy:.1f}" '
            f'stroke="{color}" stroke-dasharray="1 3"><title>chance {r["variant"]}: '
            f"{r['chance']:.3f}</title></line>"
        )
        points = [(p["length"], p["value"]) for p in r["points"]]
        xy = " ".join(f"{_x(n, lo, hi):.1f},{_y(v):.1f}" for n, v in points)
        dash = "" if is_hard(family, r["variant"]) else ' stroke-dasharray="5 3"'
        parts.append(f'<polyline points="{xy}" fill="none" stroke="{color}"{dash}/>')
        for n, v in points:
            parts.append(
                f'<circle cx="{_x(n, lo, hi):.1f}" cy="{_y(v):.1f}" r="2.5" fill="{color}">'
                f"<title>{r['variant']} length {n}: {v:.3f}</title></circle>"
            )
    parts.append("</svg>")
    legend = ", ".join(
        f'<span style="color:{COLORS[i % len(COLORS)]}">{escape(r["variant"])}'
        f"{'' if is_hard(family, r['variant']) else ' (control)'}: horizon "
        f"{escape(r['horizon_text'])}</span>"
        for i, r in enumerate(horizons)
    )
    return f"<figure>{''.join(parts)}<figcaption>{family}: {legend}</figcaption></figure>"


def _attrs(row: dict) -> str:
    fams = " ".join(row["family_horizons"])
    return f' data-families="{escape(fams)}" data-arch="{escape(row["architecture"])}"'


def _table(rows: list[dict], families: list[str], ranked: bool, table_id: str) -> str:
    head = [("#", "number")] if ranked else []
    head += [("model", "text"), ("score", "number"), ("hard variants run", "number")]
    head += [(f"{f} horizon", "number") for f in families]
    head += [("parameters", "number"), ("architecture", "text"), ("date", "text")]
    cells = "".join(f'<th data-type="{t}" scope="col">{escape(h)}</th>' for h, t in head)
    out = [f'<table class="board" id="{table_id}"><thead><tr>{cells}<th>evidence</th></tr>'
           "</thead><tbody>"]  # fmt: skip
    for r in rows:
        tds = [f'<td class="num">{r["rank"]}</td>'] if ranked else []
        tds.append(f'<td><a href="#{_anchor(r)}">{escape(r["model"])}</a></td>')
        tds.append(f'<td class="num" data-value="{r["score"]}">{r["score"]:.3f}</td>')
        run, total = r["coverage"]
        tds.append(f'<td class="num" data-value="{run}">{run}/{total}</td>')
        for f in families:
            cell = r["family_horizons"].get(f)
            if cell is None:
                tds.append('<td class="num" data-value="-1">-</td>')
                continue
            key = next(h["horizon_key"] for h in r["horizons"] if h["variant"] == cell["variant"]
                       and h["family"] == f)  # fmt: skip
            tds.append(
                f'<td class="num" data-value="{key}">{escape(cell["horizon_text"])} '
                f"({escape(cell['variant'])})</td>"
            )
        params = r["num_parameters"]
        tds.append(
            f'<td class="num" data-value="{params or -1}">{f"{params:,}" if params else "unknown"}'
            "</td>"
        )
        tds.append(f"<td>{escape(r['architecture'])}</td><td>{escape(r['date'])}</td>")
        tds.append(f'<td><a href="{escape(r["evidence"])}">{escape(r["file"])}</a></td>')
        out.append(f"<tr{_attrs(r)}>{''.join(tds)}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _anchor(row: dict) -> str:
    status = "ranked" if row["rank"] else "partial"
    return f"{status}-" + "".join(c if c.isalnum() else "-" for c in row["model"])


def _model_section(row: dict) -> str:
    by_family: dict[str, list[dict]] = {}
    for h in row["horizons"]:
        by_family.setdefault(h["family"], []).append(h)
    charts = "".join(family_chart(row["model"], f, hs) for f, hs in by_family.items())
    params = row["num_parameters"]
    facts = [
        f"parameters {params:,}" if params else "parameters unknown",
        f"architecture {row['architecture']}",
        f"dtype {row['dtype']}",
        f"adapter {row['adapter']} ({row['backend']})",
        f"revision {row['revision'] or 'unknown'}",
        f"sha {row['sha'] or 'unknown'}",
        f"lm-eval {row['lm_eval_version']}",
        f"suite {row['suite_version']}",
        f"run {row['date']}",
    ]
    notes = "".join(
        f"<li>{kind}: {escape(n)}</li>"
        for kind, key in (("partial", "partial"), ("not checked", "not_checked"))
        for n in row[key]
    )
    return (
        f'<section class="model" id="{_anchor(row)}"{_attrs(row)}>'
        f"<h3>{escape(row['model'])}</h3><p class=note>{escape('; '.join(facts))}; evidence "
        f'<a href="{escape(row["evidence"])}">{escape(row["file"])}</a></p>'
        + (f"<ul class=note>{notes}</ul>" if notes else "")
        + f'<div class="charts">{charts}</div></section>'
    )


def _gap_table(rows: list[dict]) -> str:
    """Every model's hard-vs-control pairs: hard horizon, control horizon, the gap."""
    body = "".join(
        f"<tr{_attrs(r)}><td>{escape(r['model'])}</td><td>{g['family']}</td>"
        f"<td>{escape(g['hard'])}</td><td>{escape(g['control'])}</td>"
        f"<td>{escape(g['hard_horizon'])}</td><td>{escape(g['control_horizon'])}</td>"
        f"<td>{escape(g['gap_text'])}</td></tr>"
        for r in rows
        for g in r["gaps"]
    )
    if not body:
        return "<p class=note>No model ran a hard variant together with a control.</p>"
    head = "".join(
        f"<th>{h}</th>"
        for h in ("model", "family", "hard", "control", "hard horizon", "control horizon")
    )
    return (
        "<p class=note>Each hard variant against the controls of its family with the closest "
        "chance level; the gap is log2(control horizon / hard horizon), in doublings of "
        "length (<code>&gt;=</code>, <code>&gt;</code>, <code>&lt;=</code>, <code>&lt;</code> "
        "where a horizon is only a bound, <code>?</code> where the data cannot tell).</p>"
        f'<table id="gaps"><thead><tr>{head}<th>gap</th></tr></thead><tbody>{body}</tbody>'
        "</table>"
    )


def _select(element_id: str, label: str, options: list[str]) -> str:
    opts = "".join(f'<option value="{escape(o)}">{escape(o)}</option>' for o in options)
    return (
        f'<label>{label} <select id="{element_id}"><option value="">all</option>{opts}'
        "</select></label>"
    )


def html(record: dict) -> str:
    """The page of a board record (``records.board_record``)."""
    families = record["families"]
    rows = record["ranked"] + record["partial"]
    kinds = sorted({r["architecture"] for r in rows})
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>State-tracking leaderboard (lm-eval-statetrack {record['suite_version']})</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>State-tracking leaderboard</h1>",
        f'<p>Suite: <strong id="suite-version">lm-eval-statetrack {record["suite_version"]}'
        "</strong>. Every row was validated by <code>statetrack validate</code> (documents "
        "rebuilt, hashes, counts and scores recomputed) and scored on this suite version.</p>",
        f"<p class=note><strong>Score.</strong> {escape(record['score_definition'])}</p>",
        "<p class=note><strong>Horizon</strong> (per family: its weakest hard variant). "
        f"{escape(record['horizon_definition'])}</p>",
        '<div class="controls">',
        _select("family-filter", "Family", families),
        _select("arch-filter", "Architecture", kinds),
        '<span id="shown"></span></div>',
        "<h2>Ranking</h2>",
        _table(record["ranked"], families, True, "ranked"),
    ]
    if record["partial"]:
        parts += [
            "<h2>Partial runs (not ranked)</h2>",
            "<p class=note>Fewer docs than the tasks have (<code>lm_eval --limit</code>) or "
            "lengths missing: shown apart, never ranked with complete runs.</p>",
            _table(record["partial"], families, False, "partial"),
        ]
    parts += ["<h2>Hard vs control</h2>", _gap_table(rows)]
    parts.append("<h2>Accuracy against length</h2>")
    parts.append(
        "<p class=note>Per model and family: hard variants solid, controls dashed, each "
        "variant's chance level dotted in its colour.</p>"
    )
    parts += ['<div class="models">', *(_model_section(r) for r in rows), "</div>"]
    for key, title in (("rejected", "Rejected submissions"), ("superseded", "Superseded")):
        if record[key]:
            items = "".join(
                f"<li>{escape(r['file'])}: {escape(reason)}</li>"
                for r in record[key]
                for reason in r["reasons"]
            )
            parts.append(f'<h2>{title}</h2><ul class="{key}" id="{key}">{items}</ul>')
    parts += [f"<script>{SCRIPT}</script>", "</body></html>", ""]
    return "\n".join(parts)
