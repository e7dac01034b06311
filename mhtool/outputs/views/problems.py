"""How every checker bounds and words its problem lines: how many per sheet or file before
summarising, the float tolerance, a figure in words."""

from __future__ import annotations

MAX_PER_PART = 20  # problem lines reported per sheet or file before summarising
TOLERANCE = 1e-6  # figures are whole or in 0.1 steps; this only absorbs float noise


def figure_text(x: float) -> str:
    """A figure as a problem line shows it: thousands separated, one decimal unless whole."""
    return f"{x:,.1f}".removesuffix(".0")


def capped(problems: list[str], what: str) -> list[str]:
    """At most MAX_PER_PART problem lines of one part, then one line saying how many more."""
    if len(problems) > MAX_PER_PART:
        return problems[:MAX_PER_PART] + [
            f"{what}: {len(problems) - MAX_PER_PART} more problems not shown"
        ]
    return problems


def unreadable(exc: BaseException) -> str:
    """A file that cannot be read as what it should be, in one problem line's words."""
    why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"cannot be read ({type(exc).__name__}: {why}); damaged since the run?"
