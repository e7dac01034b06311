"""The text of the Cover and Notes sheets, and the numbering of notes.

Tables refer to notes by a fixed key (views.NOTE_*, and FIGURE_NOTE + i for the run's own
notes about how a national figure was made, one per ambition). `number` then keeps only
the notes a workbook's tables refer to, numbers them by first appearance (sheet by sheet,
title, description, headers, then cells) and adds the Notes table, so the writer and
`mhtool check` agree on every [note N].
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache

import polars as pl

from mhtool import vocab
from mhtool.fields import PLACE_WEIGHTING
from mhtool.outputs.views.layout import SHEETS, possessive
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.views.tables import BASIS_KEYS, Column, Table

FIGURE_NOTE = 100  # keys of the run's own notes start here
CHOICE_NOTE = 10_000  # keys of the catalogue's choices said once (choice_notes) start here
_REF = re.compile(r"\[note (\d+)\]")

OGL = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: Office for National Statistics; NHS Digital; NHS England."
)


def provenance_note() -> str:
    """The note on the Provenance column, made from the vocabulary (mhtool.vocab): each
    word a figure can carry, with its meaning and what else a reader should know."""
    words = (vocab.PROVENANCE[w] for w in vocab.SHOWN_PROVENANCES)
    return (
        "Provenance of each national figure (the Provenance column; `mhtool ambitions` lists "
        "every figure with its source): "
        + "; ".join(f"'{p.word}' means {p.meaning}{p.detail}" for p in words)
        + "."
    )


PROVENANCE = provenance_note()

MEASURE_TYPE = (
    "Measure type (Data sheet and planning CSV files): 'Percentage' for a rate in percent, "
    "'Count' for people, sites, pounds and staff, and 'Value' for any other rate (for example "
    "an average length of stay in days). 'Value' is mhtool's own: the NHS planning templates' "
    "list of measure types has nothing that fits such rates. The metric code is the "
    "ambition's ID in the catalogue; the planning reference is [x] (blank in the CSV files) "
    "where the catalogue has none."
)

OVERLAP = (
    "Totals and parts: some national lines overlap, for example a total funding or "
    "workforce line and the lines for its parts, or two framings of the same money. Never "
    "add lines together; use either a total or its parts."
)


def _basis_text(bases_used: list[tuple[str, str, str]], described: Mapping) -> str:
    """Each basis label used, with what it is: (label, basis name, split method)."""
    parts = []
    for label, name, method in bases_used:
        if method == vocab.SUM_OF_PARTS:
            text = (
                "below England each organisation's figure is the sum of its figures for "
                "those lines, so the total agrees with its parts; the share is its share of "
                "England's total"
            )
        else:
            text = str(described.get(name) or "no description supplied").rstrip(".")
            if method == vocab.TARGETED:
                text += ", shared only among the systems named"
        parts.append(f"{label}: {text}")
    return "; ".join(parts) or "none used in this workbook"


def _extra(notes) -> list[str]:
    if not notes:
        return []
    if isinstance(notes, Mapping):
        return [f"{k}: {v}" for k, v in notes.items()]
    return [str(n) for n in notes]


PLACES = (
    "Places: a system's places (primary care networks, local authority districts, GP "
    "practices or the user's own groups of practices) each take a share of their parent's "
    "figure, the parent being the sub-ICB location, or the ICB where the user's places "
    "cross sub-ICB boundaries. The parent's figure is split among its places by the same "
    "largest-remainder rounding, so the places add up exactly to it in every year and "
    "nothing above them changes. Places are weighted by the practice-level equivalent of "
    "each ask's basis"
)


def notes(
    bases_used: list[tuple[str, str, str]],
    meta: WorkbookMeta,
    national_only: list[str] | None = None,
    place_weights: list[str] | None = None,
) -> list[str]:
    """Note texts in order; note N is notes(...)[N - 1]. `bases_used`: (label, basis name,
    split method) of each basis label the workbook shows; `place_weights`: how each ask's
    places were weighted, for the note on places (shown only where a table has places)."""
    shown = (
        f" In this workbook: {', '.join(national_only)}."
        if national_only
        else " There are none in this workbook."
    )
    return [
        "Rounding: shares are kept unrounded and figures rounded top-down (England, then "
        "regions, then ICBs within each region, then sub-ICB locations within each ICB) by the "
        "largest-remainder method, so every level sums exactly to the level above. People, "
        "sites and £ are whole numbers; whole-time equivalent staff (WTE) are to 0.1.",
        "Basis: the weights used to share a national figure among organisations; the share "
        "shown is the organisation's unrounded share of England's figure under that basis. A "
        "basis labelled 'targeted' followed by ICB codes shares a targeted ambition among those "
        "systems only, so its shares are not shares of England under the basis itself. Bases "
        "used: " + _basis_text(bases_used, meta.bases) + ".",
        PROVENANCE,
        "Rates (percentages and other ratios) are not shared out: every organisation carries "
        "the national rate, so they have no share and do not sum.",
        "National-only lines are reported for England alone and never shared out: targeted "
        "asks that name no systems (for example a number of national clinics), and lines of "
        "any category that the catalogue marks national-only (for example another framing of "
        "the national investment commitment)." + shown,
        "Symbols: [x] means not available (no figure for that year, or no planning reference "
        "in the catalogue); [z] means not applicable (for example a share for a rate).",
        MEASURE_TYPE,
        OVERLAP,
        PLACES + (": " + "; ".join(place_weights) if place_weights else "") + ".",
        *_extra(meta.notes),
    ]


@lru_cache(maxsize=4)  # every table of every workbook of a run asks, of the same notes
def _run_notes(lines: tuple[str, ...]) -> tuple[dict, dict]:
    """(figure_notes, choice_notes) of the run's note lines."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for line in lines:  # 'PMH-02 2019/20 (inferred): carried forward ...'
        head, _, text = line.partition(":")
        ambition, _, detail = head.strip().partition(" ")
        grouped.setdefault(ambition, []).append((detail.strip(), text.strip()))
    seen: dict[tuple[str, str], int] = {}
    for parts in grouped.values():
        for part in dict.fromkeys(parts):
            if part[0].startswith("(choice "):
                seen[part] = seen.get(part, 0) + 1
    shared = {
        (detail, text): (CHOICE_NOTE + i, f"The catalogue's {detail.strip('()')}: {text}")
        for i, (detail, text) in enumerate(part for part, n in seen.items() if n > 1)
    }

    def said(part: tuple[str, str]) -> str:
        if part in shared:
            return f"{part[0]}: see [note {shared[part][0]}]"
        return f"{part[0]}: {part[1]}".lstrip(": ")

    figures = {
        a: (FIGURE_NOTE + i, f"How {a}'s national figure was made: " + "; ".join(map(said, parts)))
        for i, (a, parts) in enumerate(grouped.items())
    }
    return figures, shared


def figure_notes(meta: WorkbookMeta) -> dict[str, tuple[int, str]]:
    """Ambition ID → (note key, text): the run's notes (meta.notes) gathered into one note
    per ambition, a choice shared with other ambitions referred to by its own note
    (choice_notes)."""
    return dict(_run_notes(tuple(_extra(meta.notes)))[0])


def choice_notes(meta: WorkbookMeta) -> dict[tuple[str, str], tuple[int, str]]:
    """(detail, text) of each catalogue choice the run's notes give for more than one
    ambition → (note key, text): said once in a note of its own, which each of those
    ambitions' notes refers to (the same words in every note took pages)."""
    return dict(_run_notes(tuple(_extra(meta.notes)))[1])


def _bases_used(tables: list[Table]) -> list[tuple[str, str, str]]:
    """(label, basis name, split method) of every basis label the tables show, by label."""
    used: dict[str, tuple[str, str, str]] = {}
    for t in tables:
        if "basis" in t.frame.columns:
            for label, name, method in t.frame.select(BASIS_KEYS).iter_rows():
                if label is not None:
                    used.setdefault(label, (label, name or "", method))
    return [used[label] for label in sorted(used)]


def _place_weights(tables: list[Table]) -> list[str]:
    """How the places of each ask a table shows were weighted (outputs.places)."""
    found = set()
    for t in tables:
        if PLACE_WEIGHTING in t.frame.columns:
            found |= set(t.frame.get_column(PLACE_WEIGHTING).drop_nulls().to_list())
    return sorted(found)


def _national_only(tables: list[Table]) -> list[str]:
    """Ambitions the workbook shows for England alone (never shared out)."""
    levels: dict[str, set[str]] = {}
    for t in tables:
        if {"ambition_id", "org_code"} <= set(t.frame.columns):
            for a, org in t.frame.select("ambition_id", "org_code").unique().iter_rows():
                if a is not None:  # a category sheet's "the catalogue has no ... ask" row
                    levels.setdefault(a, set()).add(org)
    return sorted(
        (a for a, orgs in levels.items() if orgs == {"ENG"}),
        key=lambda a: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", a)],
    )


def _texts(table: Table):
    yield table.title
    yield table.description
    for col in table.columns:
        yield col.header
    for col in table.columns:
        if col.fmt == "text" and table.frame.height:
            yield from (v for v in table.frame.get_column(col.key).to_list() if v)


def number(tables: list[Table], meta: WorkbookMeta) -> list[Table]:
    """The tables with their [note N] renumbered by first appearance, plus the Notes
    table holding only the notes they refer to, all in sheet order."""
    tables = sorted(tables, key=lambda t: list(SHEETS).index(t.sheet))
    texts = dict(
        enumerate(
            notes(_bases_used(tables), meta, _national_only(tables), _place_weights(tables)), 1
        )
    )
    texts |= dict(figure_notes(meta).values())
    texts |= dict(choice_notes(meta).values())
    order: dict[int, int] = {}
    for t in tables:
        for text in _texts(t):
            for key in _REF.findall(str(text)):
                if int(key) in texts:
                    order.setdefault(int(key), len(order) + 1)
    for key in list(order):  # then the notes only other notes refer to (choice_notes)
        for ref in _REF.findall(texts[key]):
            if int(ref) in texts:
                order.setdefault(int(ref), len(order) + 1)

    def sub(text):
        if not isinstance(text, str) or "[note" not in text:
            return text
        return _REF.sub(lambda m: f"[note {order.get(int(m.group(1)), m.group(1))}]", text)

    out = []
    for t in tables:
        keys = {c.key for c in t.columns if c.fmt == "text"}
        renumbered = [c for k in sorted(keys) if (c := _mapped(t.frame, k, sub)) is not None]
        frame = t.frame.with_columns(renumbered) if renumbered else t.frame
        columns = [replace(c, header=sub(c.header)) for c in t.columns]
        out.append(  # all else kept (its name, its print_area)
            replace(
                t, title=sub(t.title), description=sub(t.description), columns=columns, frame=frame
            )
        )
    rows = sorted(order.items(), key=lambda kv: kv[1])
    notes_table = Table(
        "Notes",
        "Notes",
        "One table: the notes the other sheets refer to as [note N], in the order they appear"
        + (
            ", then the catalogue's choices several of those notes share."
            if any(k >= CHOICE_NOTE for k in order)
            else "."
        ),
        [
            Column("Note number", "number", width=8),
            # as wide as the page holds at a readable size (layout.READABLE)
            Column("Note text", "text", width=190),
        ],
        _frame(
            {"number": [f"note {n}" for _, n in rows], "text": [sub(texts[k]) for k, _ in rows]}
        ),
        name="notes",
    )
    out.append(notes_table)
    return sorted(out, key=lambda t: list(SHEETS).index(t.sheet))


def _mapped(frame: pl.DataFrame, key: str, fn) -> pl.Series | None:
    """The text column `key` with `fn` applied to each text, or None where that changes
    none of them (the frame is then kept as it is)."""
    column = frame.get_column(key)
    if column.dtype != pl.String:
        return None
    values = column.to_list()
    done = {v: fn(v) for v in set(values)}  # each distinct text once
    if all(v == w for v, w in done.items()):
        return None
    return pl.Series(key, [done[v] for v in values], dtype=pl.String)


def _frame(data: dict) -> pl.DataFrame:
    return pl.DataFrame(data, schema={k: pl.String for k in data})


PURPOSE = (
    "What this workbook is for: the fair share of each national mental health ambition "
    "for {org}, to help plan and discuss local ambitions.",
    "Start with the Plan sheet: what {round} asks of {org}, by programme, in its fixed, "
    "flexible and targeted categories; then the Summary sheet: "
    "{whose} own people, pounds and staff by year, with how each figure was made.",
    "The Fixed, Flexible and Targeted sheets list every ask of {round} in its own three "
    "categories: what each asks of {org}, its figures by year, how each was made and its "
    "source.",
    "The other sheets give the money and staff by line (own organisation first), shares, "
    "charts and, on the Data sheet, every figure in one table.",
    "These are fair shares under a stated basis, not agreed targets or measures of "
    "performance; never add a total line to its parts.",
)


def cover(title: str, meta: WorkbookMeta, org: str = "England") -> list[tuple[str, str]]:
    """(heading, text) pairs for the Cover sheet below its title. The contact line is
    there only when the run was given one (--contact or the refresh config)."""
    whose = "England's" if org == "England" else possessive(org)
    contact = (meta.contact or "").strip()
    benchmark = (meta.benchmark or "").strip()
    return [
        (
            "How to use it",
            "\n".join(line.format(org=org, whose=whose, round=meta.round_name) for line in PURPOSE),
        ),
        *([("What the figures are for", benchmark)] if benchmark else []),
        (
            "What the figures are not",
            "They are not targets agreed with any organisation, not "
            "measures of activity delivered or performance, and not official statistics. Many "
            "national figures are inferred or approximate rather than stated in a source; each "
            "says how it was made. Year-by-year figures for flexible ambitions are "
            "indicative: the ask is flexible and it is phased on a straight line. Local plans "
            "may differ for good local reasons.",
        ),
        (
            "Geography and reference data",
            f"Organisation boundaries: {meta.geography} "
            f"sub-ICB locations. Population year: {meta.population_year}. Reference "
            f"data: {meta.reference_data}.",
        ),
        (
            "Catalogue",
            (f"{meta.catalogue_title}: " if meta.catalogue_title else "")
            + f"{meta.catalogue_name} (SHA-256 {meta.catalogue_sha256}).",
        ),
        ("Produced by", f"mhtool version {meta.tool_version}."),
        (
            "Data date",
            f"{meta.data_date}: the release date of the newest reference "
            f"data used. It is also the workbook's created date, so the same inputs give the "
            f"same file whenever it is produced.",
        ),
        ("Source and licence", OGL),
        *([("Contact", contact)] if contact else []),
        (
            "Accessibility",
            "Each table starts in cell A3 below its title, with its header row "
            "repeated on printed pages; notes are referred to as [note N] and listed "
            "on the Notes sheet; no meaning is carried by colour alone.",
        ),
    ]
