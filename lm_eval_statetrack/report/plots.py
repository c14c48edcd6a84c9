"""Score-vs-length figures: one per family, one panel per variant, one line per model.

Uses matplotlib's object API (no pyplot, no global state), so it works headless. Length is
on a log2 axis; chance is dashed, the horizon threshold dotted; error bars are lm-eval's
standard errors. Models are nudged apart along x by a few percent so that equal scores
stay visible (ticks mark the true lengths). Points from a partial run (``--limit``) have
hollow markers: they rest on few docs.
"""

from __future__ import annotations

import math
from pathlib import Path

from lm_eval_statetrack.report.summary import HorizonRow, Summary

NUDGE = 0.06  # log2 units between neighbouring models


def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError as e:
        raise RuntimeError(
            "plots need matplotlib: pip install 'lm-eval-statetrack[report]' (or pass --no-plots)"
        ) from e
    return Figure


def _draw_curve(ax, row: HorizonRow, color, nudge: float) -> None:
    points = row.curve.points
    yerr = [p.stderr or 0.0 for p in points]
    ax.errorbar(
        [p.length * 2**nudge for p in points],
        [p.value for p in points],
        yerr=yerr if any(yerr) else None,
        marker="o",
        markersize=5,
        markerfacecolor="white" if row.curve.partial else color,
        linewidth=1.8,
        capsize=3,
        color=color,
        label=row.curve.label,
    )


def _style_axes(ax, rows: list[HorizonRow], lengths: list[int]) -> None:
    from matplotlib.ticker import NullLocator

    first = rows[0].curve
    ax.set_xscale("log", base=2)
    ax.set_xticks(lengths, [str(n) for n in lengths])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_ylim(-0.04, 1.04)
    ax.grid(alpha=0.3)
    title = f"{first.variant} ({first.complexity or 'class unknown'})"
    ax.set_title(title if first.metric == "acc" else f"{title}, {first.metric}", fontsize=10)


def family_figure(summary: Summary, family: str):
    """The figure of one family (a ``matplotlib.figure.Figure``)."""
    figure_class = _figure_class()
    from matplotlib import colormaps
    from matplotlib.lines import Line2D

    variants = summary.variants(family)
    labels = [run.label for run in summary.runs]
    colors = colormaps["tab10"]
    # 3 panels a row; a big family (the group catalog) gets a roughly square grid
    ncols = min(len(variants), max(3, math.ceil(math.sqrt(len(variants)))))
    nrows = math.ceil(len(variants) / ncols)
    fig = figure_class(figsize=(4.0 * ncols, 3.0 * nrows + 0.8), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False).ravel()
    for ax in axes[len(variants) :]:
        fig.delaxes(ax)
    models, lines, any_partial = {}, {}, False
    for i, (ax, variant) in enumerate(zip(axes, variants)):
        rows = summary.rows(family, variant)
        for row in rows:
            k = labels.index(row.curve.label)
            nudge = NUDGE * (k - (len(labels) - 1) / 2)
            _draw_curve(ax, row, colors(k % 10), nudge)
            models[k] = Line2D([], [], color=colors(k % 10), marker="o", markersize=5, lw=1.8)
            any_partial |= row.curve.partial
        first = rows[0]
        if first.curve.chance is not None:
            lines["chance"] = ax.axhline(first.curve.chance, ls="--", color="0.3", lw=1.2)
        if first.threshold is not None:
            lines["horizon threshold"] = ax.axhline(first.threshold, ls=":", color="0.5", lw=1.2)
        _style_axes(ax, rows, sorted({s.length for r in rows for s in r.curve.scores}))
        if i % ncols == 0:
            ax.set_ylabel(first.curve.metric)
        if i >= len(variants) - ncols:
            ax.set_xlabel("length (log2 scale)")
    if any_partial:
        lines["hollow: partial run (--limit)"] = Line2D(
            [], [], ls="", marker="o", markerfacecolor="white", color="0.3"
        )
    handles = [models[k] for k in sorted(models)] + list(lines.values())
    names = [labels[k] for k in sorted(models)] + list(lines)
    fig.suptitle(f"{family}: score vs length", fontsize=12)
    fig.legend(
        handles,
        names,
        loc="outside lower center",
        ncols=min(len(handles), 2 * ncols),
        frameon=False,
        fontsize=9,
    )
    return fig


def write_figures(summary: Summary, out: Path) -> dict[str, Path]:
    """``<family>.png`` and ``<family>.svg`` per family; returns family -> PNG path."""
    written = {}
    for family in summary.families():
        fig = family_figure(summary, family)
        fig.savefig(out / f"{family}.svg", metadata={"Date": None})
        fig.savefig(out / f"{family}.png", dpi=100)
        written[family] = out / f"{family}.png"
    return written
