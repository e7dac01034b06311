"""Charts people can read: one PNG per organisation charted (England, each region, each
ICB), rendered once and reused by its workbooks and its page of the HTML report.

- Trajectory (`charts/<code>.png`): one panel per line of the organisation's own people,
  and its total funding and staff, titled in words (the ambition and its unit), its fair
  share as bars by financial year on a scale from zero, the last figure written on.
- Compare (`charts/<code>_compare.png`, England and regions): one panel per headline ask,
  a bar for each organisation one level down (a region's ICBs), on a scale from zero.

1,280 px wide with 13-20 px text (10-15 pt at 96 dpi), so they are legible at 100% zoom.
Bars, rules and text are drawn with Pillow in DejaVu Sans, shipped in mhtool/fonts/ (a
plotting library's Axes cost seconds a chart; this costs milliseconds). Byte-identical on
rerun: fixed size, saved with no text chunks (no Software, no date).
"""

from __future__ import annotations

import io
import math
from functools import lru_cache
from importlib import resources

import polars as pl
from PIL import Image, ImageDraw, ImageFont

from mhtool import vocab
from mhtool.fields import PLAN_ORDER
from mhtool.outputs.views.layout import LEVELS, possessive, short_name, unit_words
from mhtool.outputs.views.tables import is_headline, is_standard, line_split, plan_order

WIDTH = 1280  # px
COLUMNS = 4
MARGIN = 16
HEADER = 92  # title and subtitle
PANEL_HEIGHT = 250
TEXT, SMALL, TITLE = 14, 13, 20  # px
BAR = (31, 95, 153)  # dark blue: readable in greyscale; figures are also written as text
LAST = (11, 60, 102)
GRID = (221, 221, 221)
INK, GREY = (0, 0, 0), (68, 68, 68)


def fmt_value(x: float | None, unit: str | None, unit_kind: str) -> str:
    """A figure with a short form of its unit, for a chart label: £1.23m, 1,234 people.
    ('people per year (additional vs 2020/21)' → 'people'; the full unit is in the tables.)
    Money is told by the spine's unit kind, never by the unit text."""
    if x is None:
        return "[x]"
    unit = (unit or "").strip()
    if unit_kind == "gbp":
        for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
            if abs(x) >= size:
                return f"£{x / size:,.3g}{suffix}"
        return f"£{x:,.0f}"
    short = unit.split(" (")[0].removesuffix(" per year")
    text = f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"
    return f"{text} {short}".strip()


def fmt_tick(x: float, unit_kind: str) -> str:
    """A compact figure for an axis: £165m, 17.5k, 1,515, 25.9."""
    if unit_kind == "gbp":
        return fmt_value(x, "", unit_kind)
    for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(x) >= max(size, 1e4):
            return f"{x / size:.3g}{suffix}"
    return f"{x:,.0f}" if abs(x) >= 100 or float(x).is_integer() else f"{x:.3g}"


def _short_year(y: str) -> str:
    return y[2:] if len(y) == 7 and y[4] == "/" and y[:4].isdigit() else y


def chart_lines(df: pl.DataFrame, org_code: str) -> pl.DataFrame:
    """The lines charted for one organisation: its own people and sites (no standards),
    then its funding and workforce totals (a line made of its parts), or every funding
    and workforce line where there is no total; in the Plan's order."""
    own = plan_order(df).filter(
        pl.col("org_code") == org_code, ~is_standard(), pl.col("value").is_not_null()
    )
    activity = own.filter(pl.col("measure") == "activity")
    money = own.filter(pl.col("measure") != "activity")
    totals = money.filter(line_split() == vocab.SUM_OF_PARTS)
    if not totals.is_empty():
        money = totals.vstack(
            money.filter(~pl.col("measure").is_in(totals.get_column("measure").unique().to_list()))
        )
    return pl.concat([activity, money]).sort(PLAN_ORDER, "year")


@lru_cache(maxsize=8)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    # DejaVu Sans, shipped in mhtool/fonts/ with its licence (Bitstream Vera terms, the
    # DejaVu changes public domain): the same files matplotlib carries, so the charts'
    # bytes did not change when matplotlib stopped being a dependency
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(io.BytesIO(_font_file(name)), size)


@lru_cache(maxsize=2)
def _font_file(name: str) -> bytes:
    return resources.files("mhtool").joinpath("fonts", name).read_bytes()


def nice_ticks(top: float, n: int = 4) -> list[float]:
    """0 and up to `n` round steps (1, 2, 2.5 or 5 × 10^k) reaching at least `top`."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


class _Canvas:
    """A white image with a title, a subtitle and a grid of panels."""

    def __init__(self, n_panels: int, title: str, subtitle: str, panel_height: int):
        self.rows = max(1, math.ceil(n_panels / COLUMNS))
        self.panel_w = (WIDTH - 2 * MARGIN) // COLUMNS
        self.panel_h = panel_height
        self.image = Image.new("RGB", (WIDTH, HEADER + self.rows * panel_height), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.text((MARGIN, 12), title, font=_font(TITLE, True), fill=INK)
        for i, line in enumerate(_wrap(subtitle, _font(TEXT), WIDTH - 2 * MARGIN)[:2]):
            self.text((MARGIN, 44 + i * 18), line, font=_font(TEXT), fill=GREY)

    def text(self, xy: tuple[float, float], text: str, *, font, fill, anchor: str = "la"):
        """draw.text(xy, text, font=font, fill=fill, anchor=anchor) for one line, with its
        rendered glyphs cached (the same labels recur in every chart of a run): Pillow's
        own steps for it (tests/unit/test_outputs_charts.py holds the pixels to them)."""
        ink = self.draw._getink(fill)[0]
        x, y = xy
        start = (math.modf(x)[0], math.modf(y)[0])
        mask, (dx, dy) = _glyphs(font, text, self.draw.fontmode, anchor, ink, start)
        self.draw.draw.draw_bitmap((int(x) + dx, int(y) + dy), mask, ink)

    def box(self, i: int) -> tuple[int, int]:
        return MARGIN + (i % COLUMNS) * self.panel_w, HEADER + (i // COLUMNS) * self.panel_h

    def heading(self, i: int, title: str, unit: str) -> int:
        """The panel's title (two lines at most) and unit; returns the y below them."""
        x, y = self.box(i)
        width = self.panel_w - 14
        lines = _wrap(title, _font(TEXT, True), width)
        if len(lines) > 2:
            lines = [lines[0], _fit(" ".join(lines[1:]), _font(TEXT, True), width)]
        for line in lines:
            self.text((x, y), line, font=_font(TEXT, True), fill=INK)
            y += 17
        self.text((x, y + 1), _fit(unit, _font(SMALL), width), font=_font(SMALL), fill=GREY)
        return y + 22

    def png(self) -> bytes:
        buf = io.BytesIO()
        self.image.save(buf, format="PNG")  # no text chunks: byte-identical on rerun
        return buf.getvalue()


@lru_cache(maxsize=8192)
def _glyphs(font, text: str, mode: str, anchor: str, ink: int, start: tuple[float, float]):
    """A line of text rendered at a sub-pixel start, as ImageDraw.text renders it."""
    return font.getmask2(text, mode, None, None, None, 0, anchor, ink, start, stroke_filled=True)


@lru_cache(maxsize=4096)  # the same titles and names recur across a run's charts
def _wrap(text: str, font, width: int) -> tuple[str, ...]:
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return tuple(lines) or ("",)


@lru_cache(maxsize=4096)
def _fit(text: str, font, width: int) -> str:
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def render(df: pl.DataFrame, org_code: str, actuals: tuple = ()) -> tuple[bytes, str] | None:
    """PNG bytes and alt text of one organisation's trajectory chart, or None if it has no
    count lines. `df` is the prepared spine (or a workbook's slice of it); `actuals`: its
    published delivery as (ambition_id, year, value, period) (outputs.views.delivery.marks),
    drawn as a black rule with a diamond over that year's bar, never as a bar."""
    rows = chart_lines(df, org_code)
    if rows.is_empty():
        return None
    done: dict[str, dict[str, tuple[float, str]]] = {}
    for aid, year, value, period in actuals:
        done.setdefault(aid, {})[year] = (value, period)
    name = rows.get_column("org_name")[0]
    years = sorted(rows.get_column("year").unique().to_list())
    # each panel's rows as plain records (rows are in the Plan's order, then by year)
    panels: list[list[dict]] = []
    for rec in rows.select(
        PLAN_ORDER, "ambition_id", "title", "unit", "unit_kind", "year", "value"
    ).iter_rows(named=True):
        if not panels or panels[-1][0][PLAN_ORDER] != rec[PLAN_ORDER]:
            panels.append([])
        panels[-1].append(rec)
    org = short_name(name, org_code)
    c = _Canvas(
        len(panels),
        f"{org}: fair shares by financial year",
        f"One panel per ambition, in its own unit, each on a scale from zero. Bars: "
        f"{short_name(name, org_code, with_code=False)}'s fair share in each financial year "
        f"{years[0]} to {years[-1]}; the last figure is written above its bar."
        + (" Black rule and diamond: published actual delivery (Delivery sheet)." if done else ""),
        PANEL_HEIGHT,
    )
    for i, panel in enumerate(panels):
        unit, unit_kind = panel[0]["unit"], panel[0]["unit_kind"]
        top_y = c.heading(i, panel[0]["title"], unit_words(unit))
        by_year = {r["year"]: r["value"] for r in panel}
        values = [by_year.get(y) for y in years]
        got = done.get(panel[0]["ambition_id"], {})
        ticks = nice_ticks(max([v or 0 for v in values] + [v for v, _ in got.values()]))
        x0, y0 = c.box(i)
        left, right = x0 + 54, x0 + c.panel_w - 18
        bottom = y0 + c.panel_h - 40
        top = top_y + 18
        scale = (bottom - top) / ticks[-1]
        for t in ticks:
            y = bottom - t * scale
            c.draw.line([(left, y), (right, y)], fill=GRID if t else GREY, width=1)
            c.text((left - 6, y), fmt_tick(t, unit_kind), font=_font(SMALL), fill=GREY, anchor="rm")
        slot = (right - left) / len(years)
        for k, (year, v) in enumerate(zip(years, values, strict=True)):
            cx = left + slot * (k + 0.5)
            if v:
                colour = LAST if k == len(years) - 1 else BAR
                c.draw.rectangle(
                    [cx - slot * 0.35, bottom - v * scale, cx + slot * 0.35, bottom], fill=colour
                )
            c.text((cx, bottom + 6), _short_year(year), font=_font(SMALL), fill=INK, anchor="mt")
        for k, year in enumerate(years):
            if year in got:
                cx, y = left + slot * (k + 0.5), bottom - got[year][0] * scale
                c.draw.line([(cx - slot * 0.45, y), (cx + slot * 0.45, y)], fill=INK, width=3)
                c.draw.polygon([(cx, y - 6), (cx + 6, y), (cx, y + 6), (cx - 6, y)], fill=INK)
        k, v = next((k, v) for k, v in reversed(list(enumerate(values))) if v is not None)
        c.text(
            (left + slot * (k + 0.5), bottom - v * scale - 3),
            fmt_tick(v, unit_kind),
            font=_font(SMALL, True),
            fill=INK,
            anchor="mb",
        )
    alt = (
        f"Chart of {possessive(org)} fair shares by financial year: {len(panels)} panels, one per "
        f"ambition, bars on a scale from zero; the figures are on the Summary sheet. Panels: "
        + "; ".join(
            f"{p[0]['title']}: {fmt_value(p[-1]['value'], p[0]['unit'], p[0]['unit_kind'])} "
            f"in {p[-1]['year']}"
            for p in panels
        )
        + "".join(
            f"; published actual of {aid}: "
            + ", ".join(f"{fmt_tick(v, 'people')} in {p}" for v, p in got.values())
            for aid, got in done.items()
        )
        + "."
    )
    return c.png(), alt


def render_compare(df: pl.DataFrame, org_code: str) -> tuple[bytes, str] | None:
    """PNG bytes and alt text of the chart comparing the organisations one level below
    `org_code` (a region's ICBs, England's regions) on each headline ask, or None."""
    level = df.filter(pl.col("org_code") == org_code).get_column("level")
    if level.is_empty() or level[0] not in ("england", "region"):
        return None
    child = LEVELS[LEVELS.index(level[0]) + 1]
    part = plan_order(df).filter(
        is_headline(),
        pl.col("level") == child,
        pl.col("parent_code") == org_code,
        pl.col("value").is_not_null(),
    )
    if part.is_empty():
        return None
    name = df.filter(pl.col("org_code") == org_code).get_column("org_name")[0]
    panels = []
    for amb in part.partition_by(PLAN_ORDER, maintain_order=True):
        year = max(amb.get_column("year").to_list())
        panels.append(amb.filter(pl.col("year") == year).sort("org_code"))
    panels.sort(key=lambda p: p.get_column(PLAN_ORDER)[0])
    n_orgs = max(p.height for p in panels)
    kind = "ICB" if child == "icb" else "region"
    c = _Canvas(
        len(panels),
        f"{short_name(name, org_code)}: each {kind}'s fair share of the headline asks",
        f"One panel per headline ask, in the last year it has a figure; one bar per {kind} "
        f"({n_orgs}), each panel on a scale from zero, the figure written beside each bar.",
        max(PANEL_HEIGHT, 110 + 22 * n_orgs),
    )
    for i, panel in enumerate(panels):
        unit, unit_kind = panel.get_column("unit")[0], panel.get_column("unit_kind")[0]
        unit_year = f"{panel.get_column('year')[0]}, {unit_words(unit)}"
        top = c.heading(i, panel.get_column("title")[0], unit_year) + 6
        x0, y0 = c.box(i)
        left, right = x0 + 142, x0 + c.panel_w - 58
        values = panel.get_column("value").to_list()
        scale = (right - left) / (max(values) or 1.0)
        row = min(22, (y0 + c.panel_h - 20 - top) / max(1, len(values)))
        c.draw.line([(left, top), (left, top + row * len(values))], fill=GREY, width=1)
        for k, (n, code, v) in enumerate(
            zip(panel["org_name"], panel["org_code"], values, strict=True)
        ):
            y = top + row * k
            label = _fit(short_name(n, code, with_code=False), _font(SMALL), 134)
            c.text((left - 6, y + row / 2), label, font=_font(SMALL), fill=INK, anchor="rm")
            c.draw.rectangle([left, y + 3, left + v * scale, y + row - 3], fill=BAR)
            c.text(
                (left + v * scale + 4, y + row / 2),
                fmt_tick(v, unit_kind),
                font=_font(SMALL),
                fill=INK,
                anchor="lm",
            )
    alt = (
        f"Chart comparing the {kind}s of {short_name(name, org_code)} on "
        f"{len(panels)} headline asks; the figures are on the Compare sheet."
    )
    return c.png(), alt
