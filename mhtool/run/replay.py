"""Reproduce a run from its manifest.json: `mhtool run --config <run>/manifest.json`.

The manifest's settings become the new run's (paths as recorded: shipped reference data as
`reference_data/...`, checkout files relative to the checkout, anything else absolute).
Before the run, whatever now differs from what the manifest recorded is reported: input
files whose sha256 changed and library or Python versions that differ, since either can
change the outputs' bytes. With neither, the new run is byte-identical to the recorded one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mhtool.errors import InputError
from mhtool.run import paths
from mhtool.run.manifest import sha256
from mhtool.run.versions import differences

PATH_KEYS = ("catalogue", "values", "refs", "reference_data", "raw")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # the refresh schema refuses these in paths too


def is_manifest(path: Path) -> bool:
    """True when --config names a run's manifest.json rather than a TOML file."""
    return Path(path).suffix.lower() == ".json"


def read(path: Path) -> dict:
    """The manifest at `path`, checked to be one an mhtool run wrote."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("manifest not found", file=str(path)) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"not a readable manifest.json: {exc}", file=str(path)) from None
    if not (isinstance(doc, dict) and doc.get("tool") == "mhtool"):
        raise InputError("not a manifest.json an mhtool run wrote", file=str(path))
    if not isinstance(doc.get("settings"), dict):
        raise InputError("has no settings to run again", file=str(path), field="settings")
    inputs = doc.get("inputs", {})
    if not isinstance(inputs, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and not CONTROL.search(k)
        for k, v in inputs.items()
    ):
        raise InputError("must map each input file to its sha256", file=str(path), field="inputs")
    return doc


def resolve(recorded: str) -> Path:
    """A path as the manifest recorded it (mhtool.run.paths.shown), back to a real one."""
    p = Path(recorded)
    if p.is_absolute():
        return p
    if p.parts and p.parts[0] == "reference_data":
        return paths.shipped_reference_data().joinpath(*p.parts[1:])
    root = paths.source_checkout()
    return (root if root is not None else Path.cwd()) / p


def settings(doc: dict, keys: list[str], file: Path) -> dict:
    """The run settings to reproduce: the manifest's keys that are run settings."""
    out = {}
    for key, value in doc["settings"].items():
        if key not in keys:
            continue  # a record, such as catalogue_name
        if isinstance(value, str) and CONTROL.search(value):
            raise InputError(
                "must not hold control characters", file=str(file), field=f"settings.{key}"
            )
        if key in PATH_KEYS and value is not None:
            if not isinstance(value, str):
                raise InputError("must be a path", file=str(file), field=f"settings.{key}")
            value = resolve(value)
        out[key] = value
    return out


def changed_inputs(doc: dict, cfg_settings: dict) -> list[str]:
    """Recorded input files whose bytes differ now (or that are gone)."""
    inputs = doc.get("inputs", {})
    ref = Path(cfg_settings.get("reference_data") or paths.reference_data_dir())
    found = []
    for key, digest in sorted(inputs.items()):
        if key.startswith("catalogue_file/"):
            path = resolve(key.removeprefix("catalogue_file/"))
        elif key.startswith("reference_data/"):
            path = ref / key.removeprefix("reference_data/")
        elif key in ("values", "refs") and cfg_settings.get(key):
            path = Path(cfg_settings[key])
        else:
            continue  # the catalogue's own hash, raw files: covered by the files above
        if not path.is_file():
            found.append(f"{key}: missing ({path})")
        elif sha256(path) != digest:
            found.append(f"{key}: changed since the run ({path})")
    return found


def what_differs(doc: dict, cfg_settings: dict) -> list[str]:
    """What differs between a recorded run and this one, inputs first, then versions."""
    return changed_inputs(doc, cfg_settings) + differences(doc.get("environment", {}))
