"""The project's vocabulary: every fixed word the catalogue, spine and outputs share.

Each word is defined once here and imported everywhere else, so a level, category, kind,
measure, provenance word, unit kind or split method means the same in the engine, the
workbooks, `mhtool check` and the docs. Stable names (import them, never respell them):

- England: ``ENGLAND_CODE`` ("ENG"), ``ENGLAND_ONS`` ("E92000001"), ``ENGLAND_NAME``,
  ``ENGLAND`` (the three as an organisation row).
- Geography vintages: ``GEOGRAPHIES``.
- Levels: ``LEVELS`` (top first), ``LEVEL_ORDER`` (level -> rank), ``LEVEL_NAMES``
  (level -> the name shown to readers), ``PLACE`` (the optional level below sub-ICB) and
  ``PLACE_KINDS``.
- Ambitions: ``CATEGORIES``, ``KINDS``, ``CARRIED_KINDS`` (kinds every organisation carries
  unchanged), ``MEASURES``, ``STEPS`` (rounding step per measure), ``DIRECTIONS``
  (``HIGHER_IS_BETTER``, ``LOWER_IS_BETTER``: which way a plan meets an ambition).
- Provenance: ``PROVENANCE`` (word -> Provenance(word, meaning, marker, legend, detail)),
  ``DECLARED``, ``FILLED``, ``PROVENANCES``, ``MARKERS``, ``SHOWN_PROVENANCES`` (those a
  spine row can carry).
- Units: ``UNIT_KINDS`` (word -> what it counts), ``unit_kind()`` (the one fallback where
  nothing declares it: older spines, bare unit text).
- Splits: ``SPLIT_METHODS`` (word -> meaning) and ``BY_BASIS``, ``TARGETED``,
  ``SUM_OF_PARTS``, ``NATIONAL_ONLY``, ``STANDARD``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

# ------------------------------------------------------------------ England and levels

ENGLAND_CODE = "ENG"
ENGLAND_ONS = "E92000001"
ENGLAND_NAME = "England"
#: England as an organisation row (the spine's org_code / ons_code / org_name).
ENGLAND = {"org_code": ENGLAND_CODE, "ons_code": ENGLAND_ONS, "org_name": ENGLAND_NAME}

#: The organisation hierarchy vintages the reference data is built for (`--geography`).
GEOGRAPHIES: tuple[str, ...] = ("2021", "2022", "2024", "2026")

#: Organisation levels, top first: figures are split down this chain.
LEVELS: tuple[str, ...] = ("england", "region", "icb", "subicb")
LEVEL_ORDER: dict[str, int] = {level: i for i, level in enumerate(LEVELS)}
#: The level below sub-ICB a run with places adds (`mhtool run --places`): groups of GP
#: practices under their sub-ICB, or under their ICB when a user's places cross sub-ICBs.
PLACE = "place"
#: Built-in kinds of place; a user's own CSV is kind `user`.
PLACE_KINDS: tuple[str, ...] = ("pcn", "la", "practice")
LEVEL_ORDER[PLACE] = len(LEVELS)
#: What a reader calls each level.
LEVEL_NAMES: dict[str, str] = {
    "england": "England",
    "region": "Region",
    "icb": "ICB",
    "subicb": "Sub-ICB location",
    PLACE: "Place",
}

# ------------------------------------------------------------------ ambitions

#: The Plan's categories of ask: fixed (every system), flexible (own pace), targeted (some).
CATEGORIES: tuple[str, ...] = ("fixed", "flexible", "targeted")
#: What an ambition's figure is: a count to split, a rate, a number of sites (national
#: unless the catalogue names systems), or a standard every organisation must meet.
KINDS: tuple[str, ...] = ("count", "rate", "sites", "standard")
#: Kinds whose national figure every organisation carries unchanged (never split).
CARRIED_KINDS: tuple[str, ...] = ("rate", "standard")
#: Which way an ambition is met: a plan at or above its fair share (most asks), or at or
#: below it (out-of-area placements, length of stay). Declared per ambition in the
#: catalogue (`direction`); `mhtool assure` rates plans by it.
HIGHER_IS_BETTER = "higher_is_better"
LOWER_IS_BETTER = "lower_is_better"
DIRECTIONS: tuple[str, ...] = (HIGHER_IS_BETTER, LOWER_IS_BETTER)
#: What a figure measures; it fixes the rounding step.
MEASURES: tuple[str, ...] = ("activity", "funding", "workforce")
#: Rounding step per measure: whole people, whole pounds, tenths of a WTE.
STEPS: dict[str, Fraction] = {
    "activity": Fraction(1),
    "funding": Fraction(1),
    "workforce": Fraction(1, 10),
}

# ------------------------------------------------------------------ provenance


@dataclass(frozen=True)
class Provenance:
    """One provenance word: what it means for a national figure, its one-character marker
    in `mhtool ambitions` (a space for none) and the few words its legend gives it, and
    what else a workbook's reader is told (``detail``, on the Notes sheet after the
    meaning). The Notes paragraph and the legend are made from these, never rewritten."""

    word: str
    meaning: str
    marker: str
    legend: str
    detail: str = ""


PROVENANCE: dict[str, Provenance] = {
    p.word: p
    for p in (
        Provenance(
            "stated",
            "the figure appears in a cited source",
            " ",
            "stated in a source",
            ", often a secondary one such as the Royal College of Psychiatrists (RCPsych), "
            "the Healthcare Financial Management Association (HFMA) or the Health Service "
            "Journal (HSJ), because the Plan's own annex tables were not reachable",
        ),
        Provenance(
            "inferred",
            "derived from sources, as the catalogue's note for the figure explains",
            "*",
            "inferred (derived; see note)",
            ", including figures carried forward where the source says a level is "
            "maintained and remainder lines worked out as a total less its parts",
        ),
        Provenance(
            "interpolated",
            "filled on a straight line between two figures",
            "~",
            "interpolated",
            " (stated, inferred, or a starting point of zero for counts of additional "
            "people, staff or money)",
        ),
        Provenance(
            "phased",
            "an indicative straight-line phasing of a flexible ask, not a commitment",
            "^",
            "phased (indicative, flexible ask)",
        ),
        Provenance(
            "user", "replaced by the figure in the user's --values file", "u", "user override"
        ),
        Provenance("missing", "no figure for that year", " ", "no figure"),
    )
}
#: Provenance a figure can be given with (by the catalogue or a user).
DECLARED: tuple[str, ...] = ("stated", "inferred", "user")
#: Provenance of a figure the phasing rule fills in.
FILLED: tuple[str, ...] = ("interpolated", "phased")
PROVENANCES: tuple[str, ...] = (*DECLARED, *FILLED, "missing")
MARKERS: dict[str, str] = {w: p.marker for w, p in PROVENANCE.items()}
#: The words a spine figure can carry (a year with no figure has no row).
SHOWN_PROVENANCES: tuple[str, ...] = tuple(w for w in PROVENANCE if w != "missing")

# ------------------------------------------------------------------ units

#: What a figure is counted in. The unit text (e.g. "people per year (additional)") is
#: for readers; the unit kind is for code (formats, measure types, chart labels).
UNIT_KINDS: dict[str, str] = {
    "people": "people (or other things counted one by one)",
    "gbp": "pounds sterling",
    "staff": "staff, in whole-time equivalents or headcount",
    "percent": "a percentage",
    "days": "a number of days",
    "sites": "sites, areas or services",
}
_GBP = re.compile(r"^(£|GBP)")
_PERCENT = re.compile(r"(?i)percent|%")


def unit_kind(unit: str | None, kind: str, measure: str) -> str:
    """The unit kind of a figure that does not declare one: a spine written before the
    column existed, or a caller that has only the unit text. Catalogues declare it.

    The single place the unit text is read: money is a funding line in £ or GBP, a
    percentage is a carried rate whose unit says percent, staff are workforce lines.
    """
    text = (unit or "").strip()
    if measure == "funding" and _GBP.match(text):
        return "gbp"
    if kind in CARRIED_KINDS:
        if _PERCENT.search(text):
            return "percent"
        return "days" if "days" in text.lower() else "people"
    if measure == "workforce":
        return "staff"
    return "sites" if kind == "sites" else "people"


# ------------------------------------------------------------------ how a figure is split

BY_BASIS = "by_basis"
TARGETED = "targeted"
SUM_OF_PARTS = "sum_of_parts"
NATIONAL_ONLY = "national_only"
STANDARD = "standard"
#: How a spine row's figure was obtained from the national one (the spine's split_method).
SPLIT_METHODS: dict[str, str] = {
    BY_BASIS: "split top-down by the basis among every organisation",
    TARGETED: "split by the basis among the systems the catalogue names only",
    SUM_OF_PARTS: "below England, the sum of the total's part lines",
    NATIONAL_ONLY: "reported for England alone, never split",
    STANDARD: "the national level applies unchanged to every organisation (a rate or a "
    "standard), so nothing is split",
}
