"""The text of the Cover and Notes sheets. Note numbers are fixed (views.NOTE_*) so
table headers can refer to them; the run's own notes (meta["notes"], for example one per
inferred figure) follow, numbered on from there."""

from __future__ import annotations

from collections.abc import Mapping

from mhtool.outputs.views import basis_name, is_targeted_basis

OGL = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: Office for National Statistics; NHS Digital; NHS England."
)
CONTACT = "Contact: [add the name and email address of the team answering questions here]"

PROVENANCE = (
    "Provenance of each national figure (the Provenance column; `mhtool ambitions` lists "
    "every figure with its source): 'stated' means the figure appears in a cited source, "
    "often a secondary one such as the Royal College of Psychiatrists (RCPsych), the "
    "Healthcare Financial Management Association (HFMA) or the Health Service Journal (HSJ), "
    "because the Plan's own annex tables were not reachable; 'inferred' means derived from "
    "sources, as the catalogue's note for the figure explains, including figures carried "
    "forward where the source says a level is maintained and remainder lines worked out as "
    "a total less its parts; 'interpolated' means filled on a straight line between two "
    "figures (stated, inferred, or a starting point of zero for counts of additional people, "
    "staff or money); 'phased' means an indicative straight-line phasing of a flexible ask, "
    "not a commitment; 'user' means replaced by the figure in the user's --values file."
)

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


SUM_OF = "sum of "  # the engine's label for a total made up of its part lines


def _basis_text(bases_used: list[str], described: Mapping) -> str:
    parts = []
    for b in bases_used:
        if b not in described and b.startswith(SUM_OF):
            text = (
                "below England each organisation's figure is the sum of its figures for "
                "those lines, so the total agrees with its parts; the share is its share of "
                "England's total"
            )
        else:
            text = str(
                described.get(b) or described.get(basis_name(b)) or "no description supplied"
            ).rstrip(".")
            if is_targeted_basis(b) and b not in described:
                text += ", shared only among the systems named"
        parts.append(f"{b}: {text}")
    return "; ".join(parts) or "none used in this workbook"


def _extra(notes) -> list[str]:
    if not notes:
        return []
    if isinstance(notes, Mapping):
        return [f"{k}: {v}" for k, v in notes.items()]
    return [str(n) for n in notes]


def notes(bases_used: list[str], meta: dict, national_only: list[str] | None = None) -> list[str]:
    """Note texts in order; note N is notes(...)[N - 1]."""
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
        "used: " + _basis_text(bases_used, meta.get("bases", {}) or {}) + ".",
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
        *_extra(meta.get("notes")),
    ]


def cover(title: str, meta: dict) -> list[tuple[str, str]]:
    """(heading, text) pairs for the Cover sheet below its title."""
    return [
        (
            "About these figures",
            "Each organisation's fair share of the national mental "
            "health ambitions in the catalogue named below, found by applying a basis (weights "
            "such as population or need) to each national figure and rounding so every level "
            "sums exactly to the level above [note 1].",
        ),
        (
            "What they are not",
            "They are not targets agreed with any organisation, not "
            "measures of activity delivered or performance, and not official statistics. Many "
            "national figures are inferred or approximate rather than stated in a source; each "
            "is labelled in the Provenance column [note 3]. Year-by-year figures for flexible "
            "ambitions are indicative: the ask is flexible and it is phased on a straight line "
            "[note 3]. A total line and its "
            "part lines overlap and must not be added together [note 8]. Local plans may differ "
            "for good local reasons.",
        ),
        (
            "Geography and reference data",
            f"Organisation boundaries: {meta.get('geography')} "
            f"sub-ICB locations. Population year: {meta.get('population_year')}. Reference "
            f"data: {meta.get('reference_data')}.",
        ),
        ("Catalogue", f"{meta.get('catalogue_name')} (SHA-256 {meta.get('catalogue_sha256')})."),
        ("Produced by", f"mhtool version {meta.get('tool_version')}."),
        (
            "Data date",
            f"{meta.get('data_date')}: the release date of the newest reference "
            f"data used. It is also the workbook's created date, so the same inputs give the "
            f"same file whenever it is produced.",
        ),
        ("Source and licence", OGL),
        ("Contact", CONTACT),
        (
            "Accessibility",
            "Each table starts in cell A3 below its title, with its header row "
            "frozen and repeated on printed pages; notes are referred to as [note N] and listed "
            "on the Notes sheet; no meaning is carried by colour alone.",
        ),
    ]
