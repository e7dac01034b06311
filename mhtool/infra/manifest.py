"""What a run used and wrote, with hashes, so a run can be reproduced and verified later.

manifest.json holds no clock time and no output-folder path, so identical runs give
identical manifests; it records the Python and library versions the run used. It lists
every file of the run folder except itself, run.log (which carries timings) and dotfiles
kept from the folder's past (.gitkeep).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from mhtool import __version__
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
    """A run folder's manifest, or a clear InputError when it has none or it is damaged."""
    path = Path(folder) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"no {MANIFEST}: not a folder an mhtool run wrote", file=str(folder)
        ) from None
    except ValueError as exc:
        raise InputError(f"not valid JSON: {exc}", file=str(path)) from None


@dataclass
class Verification:
    """What re-hashing a run folder against its manifest found."""

    checked: int
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.added)


def verify(folder: Path) -> Verification:
    """Re-hash a run folder against its manifest."""
    folder = Path(folder)
    recorded: dict[str, str] = read_manifest(folder).get("outputs", {})
    now = file_hashes(run_files(folder), folder)
    return Verification(
        checked=len(recorded),
        changed=sorted(k for k in recorded.keys() & now.keys() if recorded[k] != now[k]),
        missing=sorted(recorded.keys() - now.keys()),
        added=sorted(now.keys() - recorded.keys()),
    )
