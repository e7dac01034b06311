"""Where the shipped reference data and default folders are, from a checkout or a wheel.

In a source checkout (editable install or not) the reference data is the checkout's own
`reference_data/`, so edits there are seen at once and `mhtool refdata build` writes
there. An installed wheel carries the same files as package data, `mhtool/reference_data/`
(pyproject maps the top-level folder into the package), found with importlib.resources;
that copy is read-only: rebuilding needs a folder of one's own (`--out`, or
`$MHTOOL_REFERENCE_DATA`). `$MHTOOL_REFERENCE_DATA` overrides both.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from mhtool.errors import InputError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REFDATA_ENV = "MHTOOL_REFERENCE_DATA"


def source_checkout() -> Path | None:
    """The project folder when running from a checkout, else None (an installed wheel)."""
    root = PROJECT_ROOT
    if (root / "pyproject.toml").is_file() and (root / "reference_data").is_dir():
        return root
    return None


def shipped_reference_data() -> Path:
    """The reference data that came with the code: the checkout's, else the package's."""
    root = source_checkout()
    if root is not None:
        return root / "reference_data"
    from importlib import resources  # only an installed package needs it

    packaged = resources.files("mhtool").joinpath("reference_data")
    if not isinstance(packaged, Path):  # e.g. imported from a zip file
        raise InputError(
            "mhtool's reference data must be installed as plain files; reinstall with pip "
            f"or set {REFDATA_ENV}",
            file=str(packaged),
        )
    return packaged


_CHOSEN: list[Path] = []  # folders given by using_reference_data, innermost last


@contextlib.contextmanager
def using_reference_data(folder: Path) -> Iterator[Path]:
    """Read reference data (the store, catalogues, bases) from ``folder`` inside the block.

    A run hands its chosen folder over here rather than through the environment, so
    nothing outside the run (and no later run in the same process) sees the change.
    """
    _CHOSEN.append(Path(folder))
    try:
        yield _CHOSEN[-1]
    finally:
        _CHOSEN.pop()


def reference_data_dir() -> Path:
    """The reference data folder: the one a run chose (using_reference_data), else
    $MHTOOL_REFERENCE_DATA, else the shipped one."""
    if _CHOSEN:
        return _CHOSEN[-1]
    env = os.environ.get(REFDATA_ENV)
    return Path(env) if env else shipped_reference_data()


def writable_reference_data(out: Path | None) -> Path:
    """Where a rebuild writes: `out`, else $MHTOOL_REFERENCE_DATA, else the checkout's
    reference_data/. An installed package's own copy is never rewritten."""
    if out is not None:
        return Path(out)
    env = os.environ.get(REFDATA_ENV)
    if env:
        return Path(env)
    root = source_checkout()
    if root is None:
        raise InputError(
            "mhtool is running from an installed package, whose reference data is read-only: "
            f"give a folder to build into (--out FOLDER), then set {REFDATA_ENV}=FOLDER "
            "to run on it",
            field="out",
        )
    return root / "reference_data"


def is_shipped_package_data(folder: Path) -> bool:
    """True for an installed package's read-only reference data."""
    return source_checkout() is None and Path(folder).resolve() == (
        shipped_reference_data().resolve()
    )


def is_name(value: str | Path) -> bool:
    """A bare name such as "mtpf_2026_29" (no folder, no suffix): a shipped catalogue's
    name where a setting takes a name or a path, kept as a name wherever it is recorded."""
    text = str(value)
    return bool(text) and "/" not in text and "\\" not in text and not Path(text).suffix


def shown(p: Path) -> str:
    """A path as a manifest records it: shipped reference data as `reference_data/...` and
    checkout files relative to the checkout, so every install records the same; others
    absolute."""
    p = Path(p).resolve()
    shipped = shipped_reference_data().resolve()
    if p.is_relative_to(shipped):
        return ("reference_data" / p.relative_to(shipped)).as_posix()
    root = source_checkout()
    if root is not None and p.is_relative_to(root):
        return p.relative_to(root).as_posix()
    return str(p)


def default_raw_dir() -> Path:
    """The raw public files sit beside the project in ../shared/data/raw."""
    return PROJECT_ROOT.parent / "shared" / "data" / "raw"


def default_output_dir() -> Path:
    """outputs/ in the checkout; for an installed package, outputs/ in the current folder."""
    root = source_checkout()
    return (root if root is not None else Path.cwd()) / "outputs"
