"""Trajectory charts: one PNG per organisation charted (England, each region, each ICB),
rendered once and reused by every workbook that embeds it.

Each chart is a table of small multiples drawn on one matplotlib Axes: one row per count
ambition (grouped by category) with its first- and last-year figures and units, and a line
of its fair share by year against its share of the national line. Speed drives the design:
a grid of real Axes costs ~2 s a chart and matplotlib text ~6 ms a label, so rows are
labelled by planning reference, everything shared by charts with the same rows (headings,
references, rules, legend) is rendered once per process and reused as a background image,
and the per-organisation figures and scales are drawn with Pillow (same font) — ~0.12 s a chart.
Byte-identical on rerun: fixed dpi, PNG saved with no text chunks (no Software, no date).
"""

from __future__ import annotations

import io
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from matplotlib import font_manager
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from PIL import Image, ImageDraw, ImageFont

from mhtool import vocab
from mhtool.outputs.layout import org_label

# Okabe–Ito colours (safe for colour-blind readers); the category is also written in words.
CATEGORY_COLOURS = {"fixed": "#0072B2", "flexible": "#D55E00", "targeted": "#009E73"}
NATIONAL_COLOUR = "#B8B8B8"  # a wide pale band under the fair-share line: shows even
NATIONAL_WIDTH = 5.0  # where the two lines coincide
GRID_COLOUR = "#E4E4E4"
DPI = 96
FONT = 8
SMALL = 6.5  # year and value-scale tick labels
WIDTH = 5.6
ROW_INCHES = 0.3
HEADER_INCHES = 1.1  # title, subtitle, legend and column headings above the first row

# Horizontal layout in axes units (0–100).
_LABEL, _SPARK0, _SPARK1, _LAST = 0.0, 25.0, 50.0, 54.0
_SPAN = 0.72  # a sparkline's height as a fraction of its row


def chart_rows(df: pl.DataFrame, org_code: str) -> pl.DataFrame:
    """The count ambitions charted for one organisation, sorted by ambition then year."""
    return df.filter(pl.col("org_code") == org_code, pl.col("kind") == "count").sort("_ar", "year")


def _is_money(unit: str | None, unit_kind: str | None) -> bool:
    return (unit_kind or vocab.unit_kind(unit, "count", "funding")) == "gbp"


def fmt_value(x: float | None, unit: str | None, unit_kind: str | None = None) -> str:
    """A figure with a short form of its unit, for a chart label: £1.23m, 1,234 people.
    ('people per year (additional vs 2020/21)' → 'people'; the full unit is in the tables.)
    Money is known by its unit kind (vocab.UNIT_KINDS), guessed from the unit if not given."""
    if x is None:
        return "[x]"
    unit = (unit or "").strip()
    if _is_money(unit, unit_kind):
        for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
            if abs(x) >= size:
                return f"£{x / size:,.3g}{suffix}"
        return f"£{x:,.0f}"
    short = unit.split(" (")[0].removesuffix(" per year")
    text = f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"
    return f"{text} {short}".strip()


def fmt_tick(x: float, unit: str | None, unit_kind: str | None = None) -> str:
    """A compact figure for a sparkline's scale: £165m, 17.5k, 1,515, 25.9."""
    if _is_money(unit, unit_kind):
        return fmt_value(x, "£", "gbp")
    for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(x) >= max(size, 1e4):
            return f"{x / size:.3g}{suffix}"
    return f"{x:,.0f}" if abs(x) >= 100 or float(x).is_integer() else f"{x:.3g}"


def _xs(n_years: int) -> list[float]:
    return [_SPARK0 + (_SPARK1 - _SPARK0) * i / max(1, n_years - 1) for i in range(n_years)]


def _year_labels(years: tuple[str, ...]) -> list[str]:
    """'2019/20' → '19/20'; every k-th year only if the labels would otherwise collide."""
    short = [y[2:] if len(y) == 7 and y[4] == "/" and y[:4].isdigit() else y for y in years]
    if len(years) < 2:
        return short
    axes_px = 0.98 * WIDTH * DPI
    spacing_px = (_SPARK1 - _SPARK0) / 100 * axes_px / (len(years) - 1)
    width_px = max(len(y) for y in short) * SMALL * DPI / 72 * 0.62 + 4
    step = max(1, -(-int(width_px) // max(1, int(spacing_px))))
    return [
        y if i % step == 0 or i == len(short) - 1 and (i % step) * spacing_px >= width_px else ""
        for i, y in enumerate(short)
    ]


def _label(panel: pl.DataFrame) -> str:
    """The metric code every table and CSV also carries, so a row is easy to look up."""
    return panel.get_column("ambition_id")[0][:14]


def _layout(panels: list[pl.DataFrame]) -> tuple[tuple[str, int | None], ...]:
    """Rows of the chart as (category, index into panels); index None marks the heading
    row before each category's ambitions."""
    out: list[tuple[str, int | None]] = []
    cats = [p.get_column("category")[0] for p in panels]
    for category in [*CATEGORY_COLOURS, *sorted(set(cats) - set(CATEGORY_COLOURS))]:
        group = [i for i, c in enumerate(cats) if c == category]
        if group:
            out.append((category, None))
            out += [(category, i) for i in group]
    return tuple(out)


def _canvas(n_rows: int):
    height = ROW_INCHES * (n_rows + 0.6) + HEADER_INCHES
    fig = plt.figure(figsize=(WIDTH, height), dpi=DPI)
    ax = fig.add_axes((0.01, 0.005, 0.98, 1 - HEADER_INCHES / height))
    ax.set_xlim(0, 100)
    ax.set_ylim(n_rows - 0.5, -1.5)
    ax.axis("off")
    return fig, ax, height


@lru_cache(maxsize=1)
def _font() -> ImageFont.FreeTypeFont:
    path = font_manager.findfont(font_manager.FontProperties(family=plt.rcParams["font.family"]))
    return ImageFont.truetype(path, size=round(FONT * DPI / 72))


@lru_cache(maxsize=1)
def _small_font() -> ImageFont.FreeTypeFont:
    return _font().font_variant(size=round(SMALL * DPI / 72))


@lru_cache(maxsize=32)
def _background(
    layout: tuple[tuple[str, str | None], ...], years: tuple[str, ...], with_national: bool
) -> np.ndarray:
    """`layout` here holds (category, row label or None for a heading)."""
    """The parts of a chart that depend only on its rows: rendered once, reused."""
    fig, ax, height = _canvas(len(layout))
    bold = {"fontsize": FONT, "weight": "bold", "va": "bottom"}
    ax.text(_LABEL, -0.65, "Ambition ID", **bold)
    ax.text((_SPARK0 + _SPARK1) / 2, -1.05, "Fair share by financial year", ha="center", **bold)
    xs = _xs(len(years))
    for x, year in zip(xs, _year_labels(years)):
        if year:
            ax.text(x, -0.62, year, ha="center", va="bottom", fontsize=SMALL, color="#333333")
    ax.text(_LAST, -0.65, "First → last year with a figure", **bold)
    ax.plot([0, 100], [-0.55, -0.55], color="#888888", linewidth=0.8)
    rules, grid, scale = [], [], []
    top, bottom = 0.5 - _SPAN / 2 - 0.5, _SPAN / 2  # a sparkline's extent about its row
    for i, (category, ref) in enumerate(layout):
        if ref is None:
            ax.text(
                _LABEL,
                i + 0.2,
                f"{category.capitalize()} ambitions",
                fontsize=9,
                weight="bold",
                va="center",
            )
        else:
            ax.text(_LABEL + 1.5, i, ref, va="center", fontsize=FONT)
            rules.append([(0, i + 0.5), (100, i + 0.5)])
            # Year gridlines, and a value axis with ticks at the row's 0 and maximum.
            grid += [[(x, i - 0.5), (x, i + 0.5)] for x in xs]
            x0 = _SPARK0 - 0.8
            scale += [
                [(x0, i + top), (x0, i + bottom)],
                [(x0 - 0.6, i + top), (x0, i + top)],
                [(x0 - 0.6, i + bottom), (x0, i + bottom)],
            ]
    ax.add_collection(LineCollection(grid, colors=GRID_COLOUR, linewidths=0.6))
    ax.add_collection(LineCollection(scale, colors="#888888", linewidths=0.6))
    ax.add_collection(LineCollection(rules, colors="#DDDDDD", linewidths=0.6))
    present = {c for c, _ in layout}
    suffix = ": fair share" if with_national else ""
    handles = [
        Line2D([], [], color=c, linewidth=2, label=k.capitalize() + suffix)
        for k, c in CATEGORY_COLOURS.items()
        if k in present
    ]
    if with_national:
        handles.append(
            Line2D(
                [],
                [],
                color=NATIONAL_COLOUR,
                linewidth=NATIONAL_WIDTH,
                solid_capstyle="butt",
                label="Share of national line",
            )
        )
        subtitle = (
            "Solid line: the organisation's fair share; wide pale line beneath it: its "
            "share of the national line."
        )
    else:
        subtitle = "Solid line: the national figure in each financial year."
    subtitle += (
        f"\nFinancial years {years[0]} to {years[-1]}. Each row has its own scale "
        f"(marked at its left; units on its right)."
    )
    fig.text(0.01, 1 - 0.3 / height, subtitle, fontsize=6.5, va="top", color="#333333", wrap=False)
    fig.legend(
        handles=handles,
        loc="upper left",
        ncol=len(handles),
        fontsize=FONT,
        frameon=False,
        bbox_to_anchor=(0.0, 1 - 0.56 / height),
        handlelength=1.6,
        columnspacing=1.0,
    )
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba()).copy()
    plt.close(fig)
    image.setflags(write=False)
    return image


def render(df: pl.DataFrame, org_code: str) -> tuple[bytes, str] | None:
    """PNG bytes and alt text for one organisation's chart, or None if it has no count
    ambitions. `df` is the prepared spine (it needs the `_ar` ambition order)."""
    rows = chart_rows(df, org_code)
    if rows.is_empty():
        return None
    name, level = rows.get_column("org_name")[0], rows.get_column("level")[0]
    panels = rows.partition_by("_ar", maintain_order=True)
    years = tuple(sorted(rows.get_column("year").unique().to_list()))
    layout = _layout(panels)
    england = level == "england"
    background = _background(
        tuple((c, None if i is None else _label(panels[i])) for c, i in layout), years, not england
    )
    fig, ax, height = _canvas(len(layout))
    fig.figimage(background, 0, 0, origin="upper", zorder=-1)
    own: dict[str, list] = {}
    national, labels = [], []
    xs = _xs(len(years))
    ticks = []
    for i, (category, index) in enumerate(layout):
        if index is None:
            continue
        panel = panels[index]
        unit = panel.get_column("unit")[0]
        unit_kind = panel.get_column("unit_kind")[0]
        rows_by_year = {r["year"]: r for r in panel.iter_rows(named=True)}
        values = [rows_by_year[y]["value"] if y in rows_by_year else None for y in years]
        share = [
            None
            if y not in rows_by_year
            or None in (rows_by_year[y]["national_value"], rows_by_year[y]["share"])
            else rows_by_year[y]["national_value"] * rows_by_year[y]["share"]
            for y in years
        ]
        known_all = [v for v in values + share if v is not None]
        low, high = min(known_all + [0]), max(known_all + [0])
        if high == low:
            high = low + 1.0

        def line(vals):
            # A lone figure has no trajectory, but its marker is still at its value.
            return [
                (x, i + _SPAN / 2 - _SPAN * (v - low) / (high - low))
                for x, v in zip(xs, vals)
                if v is not None
            ]

        own.setdefault(category, []).append(line(values))
        if not england:
            national.append(line(share))
        known = [v for v in values if v is not None]
        label = (
            "[x]"
            if not known
            else fmt_value(known[0], unit, unit_kind)
            if len(known) == 1
            else f"{fmt_value(known[0], unit, unit_kind)} → {fmt_value(known[-1], unit, unit_kind)}"
        )
        labels.append((ax.transData.transform((_LAST, i)), label))
        for v, y in ((high, i - _SPAN / 2), (low, i + _SPAN / 2)):
            ticks.append((ax.transData.transform((_SPARK0 - 1.8, y)), fmt_tick(v, unit, unit_kind)))
    for category, lines in own.items():
        colour = CATEGORY_COLOURS.get(category, "#000000")
        ax.add_collection(LineCollection(lines, colors=colour, linewidths=2.0))
        ends = [p[-1] for p in lines if p]  # a marker also shows single-year ambitions
        ax.scatter([e[0] for e in ends], [e[1] for e in ends], s=10, color=colour, zorder=3)
    if national:  # underneath and wider: where the two lines coincide the band still shows
        ax.add_collection(
            LineCollection(
                national,
                colors=NATIONAL_COLOUR,
                linewidths=NATIONAL_WIDTH,
                capstyle="butt",
                zorder=1,
            )
        )
    fig.text(
        0.01, 1 - 0.1 / height, org_label(name, org_code), fontsize=10.5, weight="bold", va="top"
    )
    fig.canvas.draw()
    image = Image.fromarray(np.asarray(fig.canvas.buffer_rgba()))
    plt.close(fig)
    # The per-organisation figures are drawn with Pillow (matplotlib's own text costs
    # ~6 ms a label, most of a chart's time), in the same font at the same size.
    draw, font = ImageDraw.Draw(image), _font()
    for (x, y), label in labels:
        draw.text((x, image.height - y), label, font=font, fill=(0, 0, 0, 255), anchor="lm")
    small = _small_font()
    for (x, y), tick in ticks:
        draw.text((x, image.height - y), tick, font=small, fill=(68, 68, 68, 255), anchor="rm")
    buf = io.BytesIO()
    image.save(buf, format="PNG")  # no text chunks: byte-identical on rerun
    alt = (
        f"Chart for {org_label(name, org_code)}: one row per count ambition "
        f"({len(panels)} in all, "
        f"labelled by planning reference or ambition ID and grouped by category), each with "
        f"its figures for the first and last years that have one and a line of its fair "
        f"share in each financial year on the row's own scale from zero or its lowest "
        f"figure to its highest"
        + ("" if england else ", drawn over a wide pale line of its share of the national figure")
        + ". The figures are in the tables of this workbook."
    )
    return buf.getvalue(), alt
