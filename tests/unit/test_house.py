"""The package stays in rooms a newcomer can take in: no module too long to read whole, no
folder too full to scan (the layers themselves are held by lint-imports, pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "mhtool"
MAX_LINES = 800
MAX_MODULES = 12


def test_no_module_is_over_800_lines():
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these by what they do: {long}"


def test_no_folder_holds_more_than_12_modules():
    full = {
        str(d.relative_to(PACKAGE.parent)): n
        for d in [PACKAGE, *(p.parent for p in PACKAGE.rglob("__init__.py"))]
        if (n := len([m for m in d.glob("*.py") if m.name != "__init__.py"])) > MAX_MODULES
    }
    assert not full, f"give these folders rooms of their own: {full}"
