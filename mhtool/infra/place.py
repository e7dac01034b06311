"""Is this a place a run may write? Checked before the lock is taken or a byte is written.

A scheduled run must fail with a sentence, not a traceback, when its output folder cannot
be used, and must never write over something that is not its own: so the output folder's
parent must be (or become) a writable folder on a real filesystem, the lock path beside it
must be free or a lock file, and an existing folder must be empty or hold an earlier run
(mhtool.infra.atomic decides that part when it stages).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from mhtool.errors import InputError
from mhtool.infra.folder import MANIFEST, SPINE_CSV
from mhtool.infra.lock import LinkRefused

#: Kernel and device filesystems: nothing there is a folder of files a planner can open.
SYSTEM_ROOTS = ("/proc", "/sys", "/dev")


def _under(path: Path, root: str) -> bool:
    return path == Path(root) or Path(root) in path.parents


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def check_out_place(
    out: Path, lock: Path | None = None, flag: str = "--out", *, file: bool = False
) -> None:
    """Raise InputError (exit 2) naming `out` when a run cannot safely write there: a
    folder (with `lock` beside it), or with `file` a single output file."""
    out = Path(out).resolve()
    try:
        str(out).encode("utf-8")
    except UnicodeEncodeError:  # a byte that is not UTF-8, kept by Python as a surrogate
        shown = str(out).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise InputError(
            f"the name is not UTF-8 text, which the writers of some outputs cannot name a "
            f"file by; choose another {flag} (letters, digits, - and _ are safe)",
            file=shown,
            field=flag,
        ) from None
    if os.name == "posix":
        for root in SYSTEM_ROOTS:
            if _under(out, root):
                raise InputError(
                    f"{root} is a system folder, not a place for output files; "
                    f"choose another {flag}",
                    file=str(out),
                    field=flag,
                )
    if out.exists() and out.is_dir() == file:
        raise InputError(
            f"output path exists and is {'a folder' if file else 'not a folder'}; "
            f"choose another {flag}",
            file=str(out),
            field=flag,
        )
    base = _nearest_existing(out.parent)
    if not base.is_dir():
        raise InputError(
            f"cannot make the output folder: {base} is a file, not a folder",
            file=str(out),
            field=flag,
        )
    if not os.access(base, os.W_OK | os.X_OK):
        raise InputError(
            f"cannot write in {base} (read-only or no permission); choose another {flag}",
            file=str(out),
            field=flag,
        )
    if lock is not None and lock.is_symlink():
        raise LinkRefused(lock)
    if lock is not None and lock.exists() and not lock.is_file():
        raise InputError(
            "the lock path beside the output folder is not a file (a folder?); "
            "remove it or choose another " + flag,
            file=str(lock),
        )


def place_error(exc: OSError, out: Path, flag: str = "--out") -> InputError | None:
    """An OSError met on the output folder, its staging folder or its lock, as bad input:
    the disk is full, read-only or forbids us, and the planner needs a sentence, not a bug
    report. None when the error is about some other file."""
    out = Path(out)
    where = Path(exc.filename) if exc.filename else None
    if where is None or not (where == out.parent or out.parent in where.parents):
        return None
    if not where.name.startswith((out.name, f".{out.name}")) and where != out.parent:
        return None
    return InputError(
        f"cannot write the output folder: {exc.strerror or exc}; the previous run is "
        f"untouched (free some space or choose another {flag})",
        file=str(where),
        field=flag,
    )


#: Errors that say the disk, not the run, failed: full, over quota, read-only, forbidden.
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}
_DISK_WORDS = ("No space left on device", "os error 28", "Read-only file system", "os error 30")


def disk_problem(exc: BaseException, out: Path, flag: str = "--out") -> InputError | None:
    """A failure anywhere in a run that was the disk's (full, read-only, forbidden), as
    bad input naming the output folder: some writers (polars, XlsxWriter, Pillow) raise
    it without a file name, or wrapped in their own exception. None for anything else."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError):
            placed = place_error(exc, out, flag)
            if placed is not None:
                return placed
            if exc.errno in DISK_ERRNOS or any(w in str(exc) for w in _DISK_WORDS):
                why = exc.strerror or str(exc)
                return InputError(
                    f"cannot write the output: {why}; the previous run is untouched (free "
                    f"some space or choose another {flag})",
                    file=str(Path(exc.filename) if exc.filename else out),
                    field=flag,
                )
        elif any(w in str(exc) for w in _DISK_WORDS[:2]):
            return InputError(
                f"cannot write the output: the disk is full ({exc}); the previous run is "
                f"untouched (free some space or choose another {flag})",
                file=str(out),
                field=flag,
            )
        exc = exc.__cause__ or exc.__context__
    return None


def run_folder_at(path: Path, *, itself: bool = True) -> Path | None:
    """The mhtool run folder `path` is (with `itself`) or lies inside, or None. A run
    folder holds the manifest.json an mhtool run wrote and the spine it vouches for (a
    manifest copied on its own elsewhere does not make a run folder)."""
    path = Path(path).resolve()
    for p in ([path] if itself else []) + list(path.parents):
        manifest = p / MANIFEST
        try:
            if (
                manifest.is_file()
                and (p / SPINE_CSV).is_file()
                and b'"tool": "mhtool"' in manifest.read_bytes()[: 1 << 16]
            ):
                return p
        except OSError:
            continue
    return None


def check_not_in_run(out: Path, flag: str = "--out", *, own: bool = False) -> None:
    """Refuse to write into a run folder that is not ours: its manifest vouches for every
    file in it, so a file added there breaks its `mhtool verify` (and a run's swap would
    delete it). With `own` (mhtool run and refresh) `out` may itself be an earlier run,
    which it replaces whole; only a run around it is refused."""
    run = run_folder_at(out, itself=not own)
    if run is not None:
        raise InputError(
            f"lies inside the run folder {run}, which only an mhtool run writes (its "
            f"manifest vouches for every file in it); choose another {flag} outside it",
            file=str(Path(out).resolve()),
            field=flag,
        )


def check_inputs_outside(out: Path, inputs: dict[str, Path | None], flag: str = "--out") -> None:
    """Refuse, before anything is written, a run that would replace or delete one of its
    own inputs: an input file inside `out` (swapped out whole), or `out` inside an input
    folder (the reference data would then hash the run's own staging files)."""
    out = Path(out).resolve()
    for name, given in inputs.items():
        if given is None:
            continue
        path = Path(given).resolve()
        if path == out or out in path.parents:
            raise InputError(
                f"the {name} input lies inside the output folder {out}, which the run "
                f"replaces whole; move it out or choose another {flag}",
                file=str(path),
                field=name,
            )
        if path.is_dir() and path in out.parents:
            raise InputError(
                f"the output folder lies inside the {name} folder {path}, which the run "
                f"reads; choose another {flag} outside it",
                file=str(out),
                field=flag,
            )
