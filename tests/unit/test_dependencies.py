"""The dependency set is honest: every library mhtool imports is declared, nothing is
declared only to carry data files, and XlsxWriter (whose internals fastsheet.py
overrides) is bounded and known."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import xlsxwriter

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
DECLARED = {
    re.match(r"[A-Za-z0-9._-]+", r).group(0).lower().replace("_", "-")
    for r in PYPROJECT["project"]["dependencies"]
}

#: XlsxWriter versions tests/unit/test_fastsheet.py has compared fastsheet.py's bytes
#: against. A new version may change the internals fastsheet.py overrides: run that test
#: on it, and only if it passes add the version here and widen pyproject.toml's bound.
FASTSHEET_CHECKED = {"3.2.0", "3.2.2", "3.2.5", "3.3.0", "3.3.1"}


def _imported_top_level() -> set[str]:
    """Every top-level module the package's code imports (at module level or inside a
    function), but its own and the standard library's."""
    found = set()
    for path in (ROOT / "mhtool").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m != "mhtool" and m not in sys.stdlib_module_names}


def test_every_imported_library_is_declared():
    dists = metadata.packages_distributions()
    missing = {}
    for module in sorted(_imported_top_level()):
        names = {d.lower().replace("_", "-") for d in dists.get(module, [module])}
        if not names & DECLARED:
            missing[module] = sorted(names)
    assert missing == {}, f"imported but not in pyproject.toml's dependencies: {missing}"


def test_the_imports_seen_include_the_ones_that_were_missing():
    """The scan itself can fail: it sees Pillow (PIL) and referencing, once undeclared."""
    assert {"PIL", "referencing", "xlsxwriter", "polars"} <= _imported_top_level()


def test_nothing_is_declared_only_for_its_data_files():
    """The charts' font ships with mhtool (DejaVu Sans, its licence beside it) instead of
    being borrowed from matplotlib, which was 80 MB installed for two files."""
    assert "matplotlib" not in DECLARED
    fonts = ROOT / "mhtool" / "fonts"
    assert {p.name for p in fonts.iterdir()} >= {
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        "LICENSE_DEJAVU",
    }
    assert "Bitstream Vera" in (fonts / "LICENSE_DEJAVU").read_text()
    data = PYPROJECT["tool"]["setuptools"]["package-data"]["mhtool"]
    assert "fonts/*.ttf" in data and "fonts/LICENSE_DEJAVU" in data
    imported = _imported_top_level()
    for name in DECLARED - {"python-calamine", "pillow"}:  # module names differ
        module = name.replace("-", "_")
        assert module in imported or name in ("jsonschema-specifications",), (
            f"{name} is declared but never imported"
        )


def _upper_bound() -> tuple[int, ...]:
    spec = next(r for r in PYPROJECT["project"]["dependencies"] if r.startswith("xlsxwriter"))
    m = re.search(r"<\s*([0-9.]+)", spec)
    assert m, f"XlsxWriter must have an upper bound in pyproject.toml, not {spec!r}"
    return tuple(int(x) for x in m.group(1).split("."))


def test_xlsxwriter_is_bounded_and_a_version_fastsheet_was_checked_against():
    bound = _upper_bound()
    assert all(tuple(int(x) for x in v.split(".")) < bound for v in FASTSHEET_CHECKED)
    assert xlsxwriter.__version__ in FASTSHEET_CHECKED, (
        f"XlsxWriter {xlsxwriter.__version__} is installed, a version fastsheet.py (which "
        "overrides XlsxWriter's internals) was never checked against: run "
        "tests/unit/test_fastsheet.py with it and, only if it passes, add the version to "
        "FASTSHEET_CHECKED here and widen the bound in pyproject.toml"
    )
