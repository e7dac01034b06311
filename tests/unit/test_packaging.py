"""What a wheel ships and how an installed package finds its data (the wheel itself is
built, installed and run by .ci/run): every package listed, the reference data mapped in,
every dependency locked, and a read-only installed copy never rebuilt in place."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from mhtool.cli import main
from mhtool.errors import InputError
from mhtool.infra import paths

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_package_folder_is_listed_for_the_wheel():
    setuptools = PYPROJECT["tool"]["setuptools"]
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "mhtool").rglob("__init__.py")
    }
    assert set(setuptools["packages"]) == found | {"mhtool.reference_data"}
    assert setuptools["package-dir"]["mhtool.reference_data"] == "reference_data"


def _locked() -> dict[str, tuple[str, list[str]]]:
    """requirements.lock as name -> (version, sha256 hashes)."""
    pins: dict[str, tuple[str, list[str]]] = {}
    name = None
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        m = re.match(r"([A-Za-z0-9._-]+)==(\S+)", line)
        if m:
            name = m.group(1).lower().replace("_", "-")
            pins[name] = (m.group(2), [])
        elif name and (h := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            pins[name][1].append(h.group(1))
    return pins


def test_every_dependency_is_locked_at_one_version_with_hashes():
    pins = _locked()
    for req in PYPROJECT["project"]["dependencies"]:
        name = re.match(r"[A-Za-z0-9._-]+", req).group(0).lower().replace("_", "-")
        assert name in pins, f"{name} is a dependency but not in requirements.lock"
    assert all(re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", v) for v, _ in pins.values())
    assert all(hashes for _, hashes in pins.values()), "pip --require-hashes needs every hash"


def test_ci_installs_the_wheel_from_the_hashed_lock():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "--require-hashes -r requirements.lock" in ci
    assert "--no-deps" in ci.split("--require-hashes", 1)[1]


@pytest.fixture
def installed(monkeypatch, tmp_path):
    """Behave as an installed wheel: no checkout around the code."""
    monkeypatch.setattr(paths, "source_checkout", lambda: None)
    monkeypatch.delenv(paths.REFDATA_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_installed_package_reads_its_own_copy_and_writes_outputs_here(installed):
    assert paths.reference_data_dir() == paths.shipped_reference_data()
    assert paths.shipped_reference_data().parts[-2:] == ("mhtool", "reference_data")
    assert paths.default_output_dir() == installed / "outputs"
    assert paths.shown(paths.shipped_reference_data() / "bases.toml") == "reference_data/bases.toml"


def test_refdata_build_from_an_installed_package_needs_out(installed):
    with pytest.raises(InputError, match="--out FOLDER"):
        paths.writable_reference_data(None)
    result = CliRunner().invoke(main, ["refdata", "build"])
    assert result.exit_code == 2 and "installed package" in result.output
    assert paths.writable_reference_data(installed / "ref") == installed / "ref"


def test_a_checkout_builds_into_its_own_reference_data(monkeypatch):
    monkeypatch.delenv(paths.REFDATA_ENV, raising=False)
    assert paths.source_checkout() == ROOT
    assert paths.writable_reference_data(None) == ROOT / "reference_data"
    assert paths.reference_data_dir() == ROOT / "reference_data"  # live edits are seen


def test_a_refresh_never_rebuilds_an_installed_package_in_place(installed, monkeypatch):
    import mhtool.outputs

    monkeypatch.setattr(mhtool.outputs, "write_outputs", lambda *a, **k: [])
    result = CliRunner().invoke(
        main, ["refresh", "--rebuild-reference-data", "--out", str(installed / "o")]
    )
    assert result.exit_code == 2, result.output
    assert "read-only" in result.output and not (installed / "o").exists()
