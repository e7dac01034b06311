"""The package stays in rooms a newcomer can take in: no module too long to read whole, no
folder too full to scan (the layers themselves are held by lint-imports, pyproject.toml)."""

from __future__ import annotations

import ast
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


def _imports(path: Path):
    """(module, name) for every `from mhtool... import name` of a module, and for every
    `alias._name` read off a module it imported (`from mhtool.x import y` or `import
    mhtool.x.y as y`), deferred imports included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mhtool"):
            for alias in node.names:
                yield node.module, alias.name
                inner = f"{node.module}.{alias.name}"
                if _is_module(inner):
                    modules[alias.asname or alias.name] = inner
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("mhtool.") and alias.asname:
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            yield modules[node.value.id], node.attr


def _is_module(dotted: str) -> bool:
    base = PACKAGE.parent.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_module_reads_another_modules_private_names():
    """A `_name` is its module's own: a helper two modules share gets a public name in
    the lower one (or moves to the room both use), so a refactor of one module cannot
    silently break another."""
    found = sorted(
        f"{p.relative_to(PACKAGE.parent)}: {module}.{name}"
        for p in PACKAGE.rglob("*.py")
        for module, name in _imports(p)
        if _private(name)
    )
    assert not found, f"give these a public name where they are shared: {found}"


def test_the_house_check_sees_a_private_import(tmp_path):
    """The check above can fail: a module importing another's `_name`, either way."""
    path = tmp_path / "m.py"
    path.write_text(
        "from mhtool.outputs.workbook.write import _hidden\n"
        "from mhtool.outputs.views import summary\n"
        "summary._words(1)\n",
        encoding="utf-8",
    )
    assert [n for _, n in _imports(path) if _private(n)] == ["_hidden", "_words"]


#: Module names every room may have, each meaning the same thing in all of them.
ROLE_NAMES = {"write", "check"}


def test_no_two_modules_share_a_name_with_different_meanings():
    """One meaning per name: two modules of one name are only a room's writer and
    checker (`write`, `check`) or a command in `cli/` named after what it runs."""
    by_name: dict[str, list[str]] = {}
    for p in PACKAGE.rglob("*.py"):
        if p.name != "__init__.py" and p.stem not in ROLE_NAMES:
            by_name.setdefault(p.stem, []).append(str(p.relative_to(PACKAGE).parent))
    shared = {
        name: where for name, where in by_name.items() if len([w for w in where if w != "cli"]) > 1
    }
    assert not shared, f"rename so each name means one thing: {shared}"
