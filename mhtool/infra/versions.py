"""Which Python and which library versions a run used, for its manifest.

Byte-identical reruns depend on them (XlsxWriter writes the workbooks, Pillow draws the
charts), so a run records them and `mhtool run --config manifest.json` warns when the
installed ones differ from those recorded.
"""

from __future__ import annotations

import platform
import re
import sys
from importlib import metadata

#: mhtool's own dependencies, for when it runs without installed metadata (a bare checkout).
DIRECT = (
    "click",
    "polars",
    "xlsxwriter",
    "openpyxl",
    "python-calamine",
    "pillow",
    "jsonschema",
    "referencing",
    "numpy",
)


def _name(requirement: str) -> str | None:
    """The distribution a requirement names, or None for one behind an extra."""
    if "extra ==" in requirement.replace('"', "").replace("'", ""):
        return None
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return m.group(1).lower().replace("_", "-") if m else None


def packages() -> dict[str, str]:
    """Every installed library mhtool needs, direct or not, with its version."""
    try:
        todo = [n for n in map(_name, metadata.requires("mhtool") or []) if n]
    except metadata.PackageNotFoundError:
        todo = list(DIRECT)
    found: dict[str, str] = {}
    while todo:
        name = todo.pop()
        if name in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a requirement for another platform or Python
        found[name] = dist.version
        todo += [n for n in map(_name, dist.requires or []) if n]
    return dict(sorted(found.items()))


def environment() -> dict:
    """What the manifest records of the interpreter and libraries this run used."""
    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": sys.platform,
        "packages": packages(),
    }


def differences(recorded: dict) -> list[str]:
    """How the running environment differs from one a manifest recorded."""
    now = environment()
    out = [
        f"{key}: recorded {recorded[key]}, running {now[key]}"
        for key in ("python", "implementation", "platform")
        if key in recorded and recorded[key] != now[key]
    ]
    was, has = recorded.get("packages", {}), now["packages"]
    out += [
        f"{name}: recorded {was[name]}, installed {has.get(name, 'none')}"
        for name in sorted(was)
        if was[name] != has.get(name)
    ]
    return out
