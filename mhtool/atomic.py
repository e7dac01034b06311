"""Write a whole folder or nothing: stage beside the target, swap in only on success.

A run that fails, is given bad input or is killed part-way must leave the previous
outputs exactly as they were, so every writer works in a staging folder on the same
filesystem and the finished folder is renamed into place.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mhtool.errors import InputError

MARKER = "manifest.json"


def _only_keep_files(folder: Path) -> bool:
    """True for a folder holding nothing but dotfiles such as .gitkeep."""
    return all(p.name.startswith(".") for p in folder.iterdir())


@contextlib.contextmanager
def staged_folder(target: Path, *, marker: str = MARKER) -> Iterator[Path]:
    """Yield an empty staging folder; on clean exit it replaces ``target``.

    ``target`` may be missing, empty (dotfiles only) or an earlier output holding ``marker``;
    anything else is refused rather than overwritten. Dotfiles in the old folder are kept.
    """
    target = target.resolve()
    if target.exists() and not target.is_dir():
        raise InputError("output path exists and is not a folder", file=str(target))
    if target.exists() and not (_only_keep_files(target) or (target / marker).exists()):
        raise InputError(f"output folder is not empty and holds no {marker} from an earlier "
                         "run; refusing to overwrite it (choose another --out)", file=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield stage
        _swap_in(stage, target)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _swap_in(stage: Path, target: Path) -> None:
    if target.exists():
        for keep in target.iterdir():
            if keep.name.startswith(".") and not (stage / keep.name).exists():
                shutil.copy2(keep, stage / keep.name)
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.rename(target, old / target.name)
        os.rename(stage, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(stage, target)
