"""Where the shipped reference data and default folders are, overridable for tests and users."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def reference_data_dir() -> Path:
    """The reference data folder: $MHTOOL_REFERENCE_DATA, else the project's reference_data/."""
    env = os.environ.get("MHTOOL_REFERENCE_DATA")
    return Path(env) if env else PROJECT_ROOT / "reference_data"


def default_raw_dir() -> Path:
    """The raw public files sit beside the project in ../shared/data/raw."""
    return PROJECT_ROOT.parent / "shared" / "data" / "raw"


def default_output_dir() -> Path:
    return PROJECT_ROOT / "outputs"
