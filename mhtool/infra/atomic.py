"""Write a whole folder or nothing: stage beside the target, swap in only on success.

A run that fails, is given bad input or is killed part-way must leave the previous
outputs exactly as they were, so every writer works in a staging folder on the same
filesystem (`.<name>.tmp-*`) and the finished folder is swapped into place.

The swap is one atomic exchange on Linux (renameat2 with RENAME_EXCHANGE): at every
instant `<name>` is either the whole old run or the whole new one. The call is looked up
the first time a swap needs it (never at import, so Windows and macOS start cleanly).
Where it is missing (Windows, macOS, old kernels, some filesystems) the swap falls back to
two renames (`os.rename`, which Windows allows for folders once nothing in them is open),
parking the old run in `.<name>.old-*/<name>` between them; `recover` at the next start
puts it back if a kill landed in that gap, and clears staging folders that killed runs
left behind. MHTOOL_SWAP=rename forces the fallback (tests use it on Linux).
Callers hold the folder's lock (mhtool.infra.lock) so nothing they clear is still in use,
and close any file they hold open inside the staging folder before the swap.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from mhtool.errors import InputError
from mhtool.infra.folder import MANIFEST
from mhtool.infra.log import LOG, checkpoint

MARKER = MANIFEST  # a finished run writes its manifest last
FORCE_RENAME_ENV = "MHTOOL_SWAP"  # "rename": use the two-rename fallback (tests)
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def _only_keep_files(folder: Path) -> bool:
    """True for a folder holding nothing but dotfiles such as .gitkeep."""
    return all(p.name.startswith(".") for p in folder.iterdir())


def holds_run(folder: Path, marker: str = MARKER) -> bool:
    """True only for a folder an mhtool run wrote: its marker is a JSON object saying
    `"tool": "mhtool"`. Another tool's manifest.json is not ours to replace."""
    try:
        doc = json.loads((folder / marker).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("tool") == "mhtool"


def recover(target: Path) -> list[str]:
    """Undo what a killed run left beside `target`; returns what was done, for the log."""
    target = Path(target).resolve()
    done = []
    for old in sorted(target.parent.glob(f".{target.name}.old-*")):
        parked = old / target.name
        if not target.exists() and parked.is_dir():
            os.rename(parked, target)
            done.append(f"restored the previous run from {old.name} (a run was killed mid-swap)")
        shutil.rmtree(old, ignore_errors=True)
        done.append(f"removed {old.name}")
    for tmp in sorted(target.parent.glob(f".{target.name}.tmp-*")):
        shutil.rmtree(tmp, ignore_errors=True)
        done.append(f"removed stale staging folder {tmp.name}")
    for line in done:
        LOG.warning("recovered %s: %s", target, line)
    return done


def check_target(target: Path, marker: str = MARKER, *, shared: bool = False) -> None:
    """Refuse anything but a missing folder, an empty one (dotfiles only) or a run; a
    ``shared`` folder (one whose other entries are carried over) only has to be a folder."""
    if target.exists() and not target.is_dir():
        raise InputError("output path exists and is not a folder", file=str(target))
    if shared:
        return
    if target.exists() and not (_only_keep_files(target) or holds_run(target, marker)):
        raise InputError(
            f"output folder is not empty and holds no {marker} from an earlier mhtool "
            "run; refusing to overwrite it (choose another --out)",
            file=str(target),
        )


@contextlib.contextmanager
def staged_folder(
    target: Path, *, marker: str = MARKER, owned: Sequence[str] | None = None
) -> Iterator[Path]:
    """Yield an empty staging folder; on clean exit it replaces ``target`` whole.

    The one all-or-nothing folder swap, used by `mhtool run` (a run folder) and
    `mhtool refdata build` (the reference data folder). Without ``owned``, ``target`` may
    be missing, empty (dotfiles only) or an earlier output holding ``marker``; anything
    else is refused rather than overwritten, and dotfiles in the old folder are kept.
    With ``owned`` (the entries this writer makes), every other entry of the old folder
    (a reference folder's catalogues and bases.toml) is carried into the new one.
    """
    target = Path(target).resolve()
    recover(target)
    check_target(target, marker, shared=owned is not None)
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        os.chmod(stage, _folder_mode(target))  # mkdtemp makes 700; keep what the folder had
        yield stage
        if owned is not None:
            _carry_others(target, stage, set(owned))
        swap_in(stage, target)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _folder_mode(target: Path) -> int:
    """The permissions the swapped-in folder must have: the old folder's, else the ones
    a plain mkdir would give under the current umask."""
    if target.is_dir():
        return stat.S_IMODE(target.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


@functools.cache
def _renameat2():
    """libc's renameat2 on Linux, else None; looked up once, on the first swap."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    except (ImportError, OSError):
        return None


def exchange_available() -> bool:
    """The probe for the atomic exchange: False forces the two-rename fallback."""
    return os.environ.get(FORCE_RENAME_ENV) != "rename" and _renameat2() is not None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False where the system cannot."""
    if not exchange_available():
        return False
    import ctypes

    if _renameat2()(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _carry_others(target: Path, stage: Path, owned: set[str]) -> None:
    """Copy every entry of ``target`` that the writer does not own into ``stage``."""
    if not target.is_dir():
        return
    for entry in sorted(target.iterdir()):
        if entry.name in owned or (stage / entry.name).exists():
            continue
        if entry.is_dir():
            shutil.copytree(entry, stage / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, stage / entry.name, follow_symlinks=False)


def swap_in(stage: Path, target: Path) -> None:
    """Put ``stage`` in place of ``target``: one exchange where the system has it, else
    two renames with the old folder parked where ``recover`` finds it."""
    checkpoint("swap")
    if not target.exists():
        os.rename(stage, target)
        return
    for keep in target.iterdir():
        if keep.name.startswith(".") and keep.is_file() and not (stage / keep.name).exists():
            shutil.copy2(keep, stage / keep.name)
    if _exchange(stage, target):
        shutil.rmtree(stage, ignore_errors=True)  # now holds the old run
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, old / target.name)
    checkpoint("swap-between")
    os.rename(stage, target)
    shutil.rmtree(old, ignore_errors=True)
