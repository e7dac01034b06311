"""Age bands such as "0-17,18-64,65+", parsed once and reused (population CLI, bases)."""

from __future__ import annotations

import re

import polars as pl

from mhtool.errors import InputError

_BAND = re.compile(r"^(\d+)(?:-(\d+)|(\+))?$")


def parse_bands(text: str, *, top: int = 90) -> list[tuple[str, int, int]]:
    """ "0-17,18-64,65+" -> [("0-17", 0, 17), ("18-64", 18, 64), ("65+", 65, max_age)].

    A single age ("0") is a one-year band; "N+" runs to `top`, the open top age of the
    source (90 for ONS, 95 for GP registered), so only the last band may be open-ended.
    Bands must lie in 0..top and must not overlap; gaps are allowed.
    """
    bands = []
    parts = [p.strip() for p in text.split(",")]
    for i, part in enumerate(parts):
        m = _BAND.match(part)
        if not m:
            raise InputError(f"bad age band {part!r}: use forms like 0-17, 65+ or 0", field="bands")
        lo = int(m[1])
        hi = top if m[3] else int(m[2]) if m[2] else lo
        if m[3] and i != len(parts) - 1:
            raise InputError(f"open-ended band {part!r} must be the last", field="bands")
        if lo > hi or hi > top:
            raise InputError(f"age band {part!r} is outside 0-{top} or reversed", field="bands")
        bands.append((part, lo, hi))
    for (a, _lo1, hi1), (b, lo2, _hi2) in zip(
        sorted(bands, key=lambda x: x[1]), sorted(bands, key=lambda x: x[1])[1:], strict=False
    ):
        if lo2 <= hi1:
            raise InputError(f"age bands {a!r} and {b!r} overlap", field="bands")
    return bands


def band_expr(bands: list[tuple[str, int, int]], age: str = "age") -> pl.Expr:
    """An expression giving each row's band label (null outside every band)."""
    expr = pl.lit(None, pl.String)
    for label, lo, hi in reversed(bands):
        expr = pl.when(pl.col(age).is_between(lo, hi)).then(pl.lit(label)).otherwise(expr)
    return expr
