"""Reproduce a run from its manifest.json: `mhtool run --config <run>/manifest.json`.

The manifest's settings become the new run's (paths as recorded: shipped reference data as
`reference_data/...`, checkout files relative to the checkout, anything else absolute).
Before the run, whatever now differs from what the manifest recorded is reported: every
recorded input (catalogue files, values, places, reference tables, raw files) whose sha256
differs from the file the replay reads, is gone or cannot be checked, and library or
Python versions that differ, since either can change the outputs' bytes. With neither, the
new run is byte-identical to the recorded one and is called a reproduction; otherwise it
is not, and says so.
"""

from __future__ import annotations

import re
from pathlib import Path

from mhtool import formats, schema, userfiles
from mhtool.errors import InputError
from mhtool.infra import paths
from mhtool.infra.manifest import sha256
from mhtool.infra.versions import differences
from mhtool.vocab import PLACE_KINDS

PATH_KEYS = ("catalogue", "values", "refs", "reference_data", "raw", "places")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # the refresh schema refuses these in paths too


def is_manifest(path: Path) -> bool:
    """True when --config names a run's manifest.json rather than a TOML file."""
    return Path(path).suffix.lower() == ".json"


def read(path: Path) -> dict:
    """The manifest at `path`, checked to be one an mhtool run wrote."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("manifest not found", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable manifest.json: {exc}", file=str(path)) from None
    try:
        doc = userfiles.parse_json(text, path)
    except InputError as exc:
        raise InputError(f"not a readable manifest.json: {exc.message}", file=str(path)) from None
    if not (isinstance(doc, dict) and doc.get("tool") == "mhtool"):
        raise InputError("not a manifest.json an mhtool run wrote", file=str(path))
    if not isinstance(doc.get("settings"), dict):
        raise InputError("has no settings to run again", file=str(path), field="settings")
    formats.declared(doc, "manifest", file=path)
    schema.validate(doc, "manifest", file=path)  # every setting of the type a run takes
    inputs = doc.get("inputs", {})
    if not isinstance(inputs, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and not CONTROL.search(k)
        for k, v in inputs.items()
    ):
        raise InputError("must map each input file to its sha256", file=str(path), field="inputs")
    return doc


def resolve(recorded: str) -> Path:
    """A path as the manifest recorded it (mhtool.infra.paths.shown), back to a real one."""
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
        if key == "places" and value in PLACE_KINDS:
            pass  # a kind of place, not a file
        elif key in PATH_KEYS and value is not None:
            if not isinstance(value, str):
                raise InputError("must be a path", file=str(file), field=f"settings.{key}")
            if not (key == "catalogue" and paths.is_name(value)):  # a shipped one's name
                value = resolve(value)
        out[key] = value
    return out


def _input_file(key: str, cfg_settings: dict) -> Path | None:
    """The file a replay will read for the manifest's input `key` (None: not a file)."""
    if key.startswith("catalogue_file/"):
        return resolve(key.removeprefix("catalogue_file/"))
    if key.startswith("reference_data/"):
        ref = Path(cfg_settings.get("reference_data") or paths.reference_data_dir())
        return ref / key.removeprefix("reference_data/")
    if key.startswith("raw/"):
        return Path(cfg_settings.get("raw") or paths.default_raw_dir()) / key.removeprefix("raw/")
    if key in ("values", "refs", "places") and isinstance(cfg_settings.get(key), str | Path):
        return Path(cfg_settings[key])
    return None


def changed_inputs(doc: dict, cfg_settings: dict) -> list[str]:
    """Every recorded input whose bytes differ now, is gone, or cannot be checked, with
    both hashes: the manifest's sha256 of each input against the file the replay reads.
    (The `catalogue` entry is the digest of the catalogue files and bases.toml, each of
    which is compared itself.)"""
    found = []
    for key, digest in sorted(doc.get("inputs", {}).items()):
        if key == "catalogue":
            continue
        path = _input_file(key, cfg_settings)
        if path is None:
            found.append(f"{key}: recorded with sha256 {digest[:12]}, but no file to check it")
        elif not path.is_file():
            found.append(f"{key}: missing ({path}; recorded sha256 {digest[:12]})")
        elif (now := sha256(path)) != digest:
            found.append(
                f"{key}: changed since the run ({path}; sha256 was {digest[:12]}, is {now[:12]})"
            )
    return found


def what_differs(doc: dict, cfg_settings: dict) -> list[str]:
    """What differs between a recorded run and this one, inputs first, then versions."""
    return changed_inputs(doc, cfg_settings) + differences(doc.get("environment", {}))
