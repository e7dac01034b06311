"""The text of the Cover and Notes sheets. Note numbers are fixed (views.NOTE_*) so
table headers can refer to them; extra notes from the run's metadata follow."""

from __future__ import annotations

OGL = ("Contains public sector information licensed under the Open Government Licence v3.0. "
       "Source: Office for National Statistics; NHS Digital; NHS England.")
CONTACT = "Contact: [add the name and email address of the team answering questions here]"

_PROVENANCE = (
    "Provenance of each figure: 'stated' is given in the plan; 'inferred' is derived from "
    "other stated figures; 'interpolated' lies on a straight line between stated years; "
    "'phased' fills a year by the catalogue's phasing rule (the national line's profile "
    "applied to the final-year ambition); 'user' was supplied by the person running the tool."
)


def notes(bases_used: list[str], meta: dict) -> list[str]:
    """Note texts in order; note N is notes(...)[N - 1]."""
    described = meta.get("bases", {}) or {}
    basis_text = "; ".join(
        f"{b}: {str(described.get(b) or 'no description supplied').rstrip('.')}"
        for b in bases_used) or "none used in this workbook"
    return [
        "Rounding: shares are kept unrounded and figures rounded top-down (England, then "
        "regions, then ICBs within each region, then sub-ICB locations within each ICB) by the "
        "largest-remainder method, so every level sums exactly to the level above. People, "
        "sites and £ are whole numbers; whole-time equivalent staff (WTE) are to 0.1.",
        "Basis: the weights used to share a national figure among organisations; the share "
        "shown is the organisation's unrounded share of England under that basis. Bases used: "
        + basis_text + ".",
        _PROVENANCE,
        "Rates (percentages and other ratios) are not shared out: every organisation carries "
        "the national rate, so they have no share and do not sum.",
        "Some targeted ambitions are national only (for example a fixed number of national "
        "sites); they appear on the England row alone.",
        "Symbols: [x] means not available (no figure for that year); [z] means not applicable "
        "(for example a share for a rate).",
        *[str(n) for n in meta.get("notes", []) or []],
    ]


def cover(title: str, meta: dict) -> list[tuple[str, str]]:
    """(heading, text) pairs for the Cover sheet below its title."""
    return [
        ("About these figures", "Each organisation's fair share of the national mental "
         "health ambitions in the catalogue named below, found by applying a basis (weights "
         "such as population or need) to each national figure and rounding so every level "
         "sums exactly to the level above [note 1]."),
        ("What they are not", "They are not targets agreed with any organisation, not "
         "measures of activity delivered or performance, and not official statistics. Local "
         "plans may differ for good local reasons."),
        ("Geography and reference data", f"Organisation boundaries: {meta.get('geography')} "
         f"sub-ICB locations. Population year: {meta.get('population_year')}. Reference "
         f"data: {meta.get('reference_data')}."),
        ("Catalogue", f"{meta.get('catalogue_name')} (SHA-256 {meta.get('catalogue_sha256')})."),
        ("Produced by", f"mhtool version {meta.get('tool_version')}."),
        ("Data date", str(meta.get("data_date"))),
        ("Source and licence", OGL),
        ("Contact", CONTACT),
        ("Accessibility", "Each table starts in cell A3 below its title; notes are referred "
         "to as [note N] and listed on the Notes sheet; no meaning is carried by colour alone."),
    ]
