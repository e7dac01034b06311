"""What a run used and wrote, with hashes, so a run can be reproduced and verified later."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from mhtool import __version__
from mhtool.paths import PROJECT_ROOT


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def git_commit() -> str | None:
    """The project's commit when run from a checkout; None when installed elsewhere."""
    try:
        out = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def file_hashes(files: list[Path], root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256(p) for p in sorted(files)}


def write_manifest(out_dir: Path, *, settings: dict, inputs: dict[str, str],
                   outputs: list[Path]) -> Path:
    """manifest.json: tool, settings, every input's and output's sha256. No clock time, so
    identical runs give identical manifests."""
    doc = {
        "tool": "mhtool",
        "version": __version__,
        "git_commit": git_commit(),
        "settings": settings,
        "inputs": inputs,
        "outputs": file_hashes(outputs, out_dir),
    }
    path = out_dir / "manifest.json"
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
