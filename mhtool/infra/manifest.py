"""What a run used and wrote, with hashes, so a run can be reproduced and verified later.

manifest.json holds no clock time and no output-folder path, so identical runs give
identical manifests; it records the Python and library versions the run used. It lists
every file of the run folder except itself, run.log (which carries timings) and dotfiles
kept from the folder's past (.gitkeep).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from mhtool import __version__, schema, userfiles
from mhtool.errors import InputError
from mhtool.infra import folder
from mhtool.infra.log import LOG_FILE
from mhtool.infra.paths import source_checkout

MANIFEST = folder.MANIFEST
UNHASHED = (MANIFEST, LOG_FILE)


def sha256(path: Path) -> str:
    """The file's SHA-256, read in blocks so large files cost little memory."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def git_commit() -> str | None:
    """The project's commit when run from a checkout, with "-dirty" when the code differs
    from it (outputs/ ignored); None when installed elsewhere."""
    root = source_checkout()
    if root is None:
        return None

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = commit and git(
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            "mhtool",
            "reference_data",
            "pyproject.toml",
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return (commit + ("-dirty" if dirty else "")) or None


def file_hashes(files: list[Path], root: Path) -> dict[str, str]:
    """sha256 of each file by its path relative to ``root``, sorted, as manifests keep them."""
    return {p.relative_to(root).as_posix(): sha256(p) for p in sorted(files)}


def run_files(folder: Path) -> list[Path]:
    """The files a manifest vouches for: everything but itself, run.log and dotfiles."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.relative_to(folder).as_posix() not in UNHASHED
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def write_manifest(
    out_dir: Path, *, settings: dict, inputs: dict[str, str], extra: dict | None = None
) -> Path:
    """manifest.json for the finished run folder `out_dir`, hashing every file in it."""
    from mhtool.infra.versions import environment  # importlib.metadata: only when writing

    doc = {
        "tool": "mhtool",
        "version": __version__,
        "git_commit": git_commit(),
        "environment": environment(),
        "settings": settings,
        "inputs": inputs,
        **(extra or {}),
        "outputs": file_hashes(run_files(out_dir), out_dir),
        "not_hashed": [LOG_FILE],
    }
    path = out_dir / MANIFEST
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_manifest(folder: Path) -> dict:
    """A run folder's manifest, or a clear InputError when it has none, it cannot be read,
    or it is not of the declared shape (mhtool/schemas/manifest.schema.json)."""
    path = Path(folder) / MANIFEST
    if not path.exists() and not path.is_symlink():
        raise InputError(f"no {MANIFEST}: not a folder an mhtool run wrote", file=str(folder))
    if not regular(path):
        raise InputError(f"is {kind_of(path)}, not a file", file=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot be read: {exc}", file=str(path)) from None
    doc = userfiles.parse_json(text, path)
    schema.validate(doc, "manifest", file=path)
    return doc


def regular(path: Path) -> bool:
    """A regular file, not followed through a link: the only kind a check opens (a named
    pipe would block the reader for ever; a folder or device is not an output)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def kind_of(path: Path) -> str:
    """What is at `path`, in words, for a problem line."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "missing"
    for test, word in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    ):
        if test(mode):
            return word
    return "a file"


@dataclass
class Verification:
    """What re-hashing a run folder against its manifest found."""

    checked: int
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # "rel: why"

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.added or self.unreadable)

    def lines(self) -> list[str]:
        """One line per file that is not as the run wrote it."""
        return (
            [f"changed: {f}" for f in self.changed]
            + [f"missing: {f}" for f in self.missing]
            + [f"added: {f}" for f in self.added]
            + [f"unreadable: {f}" for f in self.unreadable]
        )


def verify(folder: Path) -> Verification:
    """Re-hash a run folder against its manifest. Only regular files are opened; a listed
    file that is now a folder, a pipe or a link is reported, never read; a file that
    cannot be read is reported and the rest are still hashed."""
    folder = Path(folder)
    recorded: dict[str, str] = read_manifest(folder)["outputs"]
    v = Verification(checked=len(recorded))
    present = {
        p.relative_to(folder).as_posix(): p
        for p in folder.rglob("*")
        if p.relative_to(folder).as_posix() not in UNHASHED
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and not p.is_dir()
    }
    for rel, path in sorted(present.items()):
        if rel not in recorded:
            v.added.append(rel)
        elif not regular(path):
            v.unreadable.append(f"{rel}: is {kind_of(path)}, not a file")
        else:
            try:
                if sha256(path) != recorded[rel]:
                    v.changed.append(rel)
            except OSError as exc:
                v.unreadable.append(f"{rel}: cannot be read ({exc.strerror or exc})")
    for rel in sorted(recorded.keys() - present.keys()):
        path = folder / rel
        if path.is_dir() and not path.is_symlink():
            v.unreadable.append(f"{rel}: is a folder, not a file")
        else:
            v.missing.append(rel)
    return v


def folder_problems(
    folder: Path, suffixes: tuple[str, ...], unlisted_ok: tuple[str, ...], extra_prefix: str
) -> list[str]:
    """`mhtool check`'s reading of a run folder against its manifest, one line per bad
    file, all of them listed: listed files missing, not regular files, unreadable or
    changed since the run (sha256), and output files (`suffixes`) present but not listed
    (bar `unlisted_ok` and files starting `extra_prefix`, which a comparison adds)."""
    try:
        v = verify(folder)
    except InputError as exc:
        return [f"{MANIFEST}: " + (f"field {exc.field!r}: " if exc.field else "") + exc.message]
    problems = [f"{rel}: listed in {MANIFEST} but missing" for rel in v.missing]
    problems += [f"{line}" for line in v.unreadable]
    problems += [
        f"{rel}: changed since the run (its sha256 differs from {MANIFEST})" for rel in v.changed
    ]
    problems += [
        f"{rel}: present but not listed in {MANIFEST}"
        for rel in v.added
        if rel.lower().endswith(suffixes)
        and rel not in unlisted_ok
        and not rel.startswith(extra_prefix)
    ]
    return problems
