"""`mhtool ambitions`: show the catalogue, so a planner can see every national figure and
where it came from before anything is apportioned."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click

from mhtool import csvsafe
from mhtool.catalogue.load import CATEGORIES, Ambition, apply_overrides, load_catalogue, shipped
from mhtool.vocab import CARRIED_KINDS, MARKERS, PROVENANCE


def _marks() -> str:
    """Each provenance word's marker and legend (mhtool.vocab); a year with no figure shows
    '-' in place of a number."""
    return "   ".join(
        f"{'-' if p.word == 'missing' else p.marker.strip() or '(none)'} {p.legend}"
        for p in PROVENANCE.values()
    )


LEGEND = (
    f"Markers: {_marks()}\n"
    "Ranges show low-high; c. approximate (the source gives it roughly). national_only lines "
    "(N), and years marked E, are reported for England only. "
    "Use --format csv for sources and notes."
)


@click.command("ambitions")
@click.option(
    "--catalogue",
    "catalogue_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A shipped catalogue's name (see `mhtool catalogues`) or a catalogue TOML file "
    "(default: the shipped MHIP 2019/20-2023/24 catalogue).",
)
@click.option(
    "--overrides",
    "overrides_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV of your own figures: ambition_id,year,value[,note] (provenance becomes 'user').",
)
@click.option(
    "--category", type=click.Choice(CATEGORIES), help="Only fixed, flexible or targeted asks."
)
@click.option(
    "--format",
    "fmt_",
    type=click.Choice(["table", "csv"]),
    default="table",
    show_default=True,
    help="table: one row per ambition, years as columns. csv: one row per ambition and year, "
    "with provenance, source and note.",
)
def ambitions(
    catalogue_path: Path | None, overrides_path: Path | None, category: str | None, fmt_: str
) -> None:
    """List the ambitions catalogue: every planning ask, its national figure per year and
    how each figure was obtained (stated, inferred, interpolated, phased or user).

    \b
    Examples:
      mhtool ambitions
      mhtool ambitions --catalogue mtpf_2026_29
      mhtool ambitions --category targeted
      mhtool ambitions --format csv > ambitions.csv
      mhtool ambitions --catalogue my_plan.toml --overrides my_figures.csv
    """
    cat = load_catalogue(catalogue_path)
    if overrides_path:
        cat = apply_overrides(cat, overrides_path)
    rows = [a for a in cat.ambitions if category in (None, a.category)]
    if fmt_ == "csv":
        _csv(rows)
        return
    head = [
        "id",
        "programme",
        "category",
        "kind",
        "measure",
        "unit",
        "basis",
        "planning_ref",
        *cat.years,
    ]
    body = [
        [
            a.id + (" N" if a.national_only else ""),
            a.programme,
            a.category,
            a.kind,
            a.measure,
            _clip(a.unit, 36),
            a.basis or "-",
            a.planning_ref or "-",
            *(_cell(a, v) for v in a.values),
        ]
        for a in rows
    ]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    click.echo(
        f"{cat.title or cat.name}  ({len(rows)} of {len(cat.ambitions)} ambitions; "
        f"catalogue {cat.path.name}, sha256 {cat.sha256[:12]})\n"
    )
    for r in [head, ["-" * w for w in widths], *body]:
        click.echo(
            "  ".join(
                c.rjust(w) if i >= 8 else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            ).rstrip()
        )
    click.echo("\n" + LEGEND)


@click.command("catalogues")
def catalogues() -> None:
    """List the shipped catalogues: each planning round's name (for --catalogue), its
    years, the geography and data years its runs use by default, and its source.

    \b
    Example:
      mhtool catalogues
      mhtool run --catalogue mtpf_2026_29
    """
    for path in shipped():
        cat = load_catalogue(path)
        data = f"geography {cat.geography}, population {cat.population_year}"
        if cat.need_year:
            data += f", need {cat.need_year}"
        click.echo(
            f"{cat.name}\n  {cat.title}\n  years {cat.years[0]} to {cat.years[-1]}; {data}; "
            f"{len(cat.ambitions)} ambitions\n  source: {cat.source or 'see the file header'}"
            + (f"\n  {cat.benchmark}" if cat.benchmark else "")
            + "\n"
        )


def _cell(a: Ambition, v) -> str:
    if v.value is None:
        return "- "
    text = _num(v.value, a.kind) + ("" if v.high is None else "-" + _num(v.high, a.kind))
    england = "E" if v.year in a.national_years else ""
    return ("c." if v.approximate else "") + text + england + MARKERS[v.provenance]


def _num(value: float, kind: str) -> str:
    return f"{round(value, 1):g}" if kind in CARRIED_KINDS else f"{value:,.0f}"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _csv(rows: list[Ambition]) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(
        [
            "ambition_id",
            "programme",
            "title",
            "category",
            "kind",
            "measure",
            "unit",
            "basis",
            "planning_ref",
            "national_only",
            "status",
            "year",
            "value",
            "high",
            "provenance",
            "source",
            "note",
            "approximate",
            "england_only",
            "where",
            "quote",
        ]
    )
    for a in rows:
        for v in a.values:
            out.writerow(
                csvsafe.row(
                    [
                        a.id,
                        a.programme,
                        a.title,
                        a.category,
                        a.kind,
                        a.measure,
                        a.unit,
                        a.basis or "",
                        a.planning_ref,
                        str(a.national_only).lower(),
                        a.status,
                        v.year,
                        "" if v.value is None else repr(v.value),
                        "" if v.high is None else repr(v.high),
                        v.provenance,
                        v.source,
                        v.note,
                        str(v.approximate).lower(),
                        str(a.national_in(v.year)).lower(),
                        v.where,
                        v.quote,
                    ]
                )
            )


COMMANDS = [ambitions, catalogues]
