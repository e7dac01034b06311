"""`mhtool check` and `mhtool verify` on damaged run folders (docs/operations.md, "Exit codes").

Each case damages a copy of a finished one-ICB run the way a shared drive, a person or a
script might (cut off, a flipped byte, a file replaced by a folder, a named pipe or a link,
an extra workbook, a replaced chart, a manifest of the wrong shape) and asserts: the exit
status `check --help` and `verify --help` promise, no traceback, every damaged file named,
and that nothing is opened but regular files (a named pipe would block the reader for
ever, so these cases finishing is itself the assertion).
"""

from __future__ import annotations

import builtins
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from fixtures.hostile import SMALL, invoke

WB = "systems/QHM.xlsx"
CSV = "planning/QHM.csv"
PAGE = "report/systems/QHM.html"
CHART = "charts/QHM.png"


@dataclass(frozen=True)
class Damage:
    """`damage(run)` spoils a copy of the run; `check`/`verify` are the exit statuses and
    `says` the phrases each must print (on stdout or stderr)."""

    id: str
    damage: object
    check: int
    verify: int
    says: tuple[str, ...]
    verify_says: tuple[str, ...] = ()


def _cut(rel: str, keep: int = 3000):
    def damage(r: Path) -> None:
        p = r / rel
        p.write_bytes(p.read_bytes()[:keep])

    return damage


def _flip(rel: str, at: float = 0.5):
    def damage(r: Path) -> None:
        p = r / rel
        data = bytearray(p.read_bytes())
        data[int(len(data) * at)] ^= 0xFF
        p.write_bytes(bytes(data))

    return damage


def _bytes(rel: str, data: bytes):
    def damage(r: Path) -> None:
        (r / rel).write_bytes(data)

    return damage


def _folder(rel: str):
    def damage(r: Path) -> None:
        (r / rel).unlink()
        (r / rel).mkdir()
        (r / rel / "inside.txt").write_text("x")

    return damage


def _pipe(rel: str):
    def damage(r: Path) -> None:
        (r / rel).unlink()
        os.mkfifo(r / rel)

    return damage


def _link(rel: str, to: str):
    def damage(r: Path) -> None:
        (r / rel).unlink()
        (r / rel).symlink_to(r / to)

    return damage


def _gone(rel: str):
    def damage(r: Path) -> None:
        (r / rel).unlink()

    return damage


def _copy(rel: str, to: str):
    def damage(r: Path) -> None:
        shutil.copy(r / rel, r / to)

    return damage


def _manifest(edit):
    def damage(r: Path) -> None:
        doc = json.loads((r / "manifest.json").read_text())
        edit(doc)
        (r / "manifest.json").write_text(json.dumps(doc))

    return damage


def _set(*path_and_value):
    *keys, value = path_and_value

    def edit(doc: dict) -> None:
        for k in keys[:-1]:
            doc = doc[k]
        doc[keys[-1]] = value

    return edit


def _other_chart(r: Path) -> None:
    from PIL import Image

    Image.new("RGB", (1280, 800), "white").save(r / CHART)


def _list_more(doc: dict) -> None:
    doc["outputs"]["systems/QZZ.xlsx"] = "0" * 64


CHANGED = "changed since the run"

DAMAGES = [
    # ---- workbooks
    Damage("workbook-cut-off", _cut(WB), 1, 1, (WB, "cannot be read", CHANGED)),
    Damage("workbook-byte-flipped", _flip(WB), 1, 1, (WB, CHANGED)),
    Damage("workbook-empty", _bytes(WB, b""), 1, 1, (WB, "cannot be read")),
    Damage("workbook-not-a-zip", _bytes(WB, b"<html>not a workbook</html>"), 1, 1, (WB,)),
    Damage("workbook-a-folder", _folder(WB), 1, 1, (WB, "is a folder")),
    Damage("workbook-a-named-pipe", _pipe(WB), 1, 1, (WB, "is a named pipe")),
    Damage("workbook-a-link", _link(WB, CSV), 1, 1, (WB, "is a symbolic link")),
    Damage("workbook-missing", _gone(WB), 1, 1, (WB, "missing")),
    Damage(
        "workbook-extra",
        _copy(WB, "systems/QXX.xlsx"),
        1,
        1,
        ("systems/QXX.xlsx", "not listed", "QXX is not a icb"),
        ("added: systems/QXX.xlsx",),
    ),
    Damage(
        "workbook-extra-copy",
        _copy(WB, "systems/QHM copy.xlsx"),
        1,
        1,
        ("systems/QHM copy.xlsx", "not listed"),
    ),
    # ---- planning CSVs
    Damage("csv-a-named-pipe", _pipe(CSV), 1, 1, (CSV, "is a named pipe")),
    Damage("csv-a-folder", _folder(CSV), 1, 1, (CSV, "is a folder")),
    Damage("csv-not-utf8", _bytes(CSV, b"\xff\xfe\x00garbage"), 1, 1, (CSV, "cannot be read")),
    Damage("csv-cut-off", _cut(CSV, 200), 1, 1, (CSV, CHANGED)),
    Damage("csv-missing", _gone(CSV), 1, 1, (CSV, "missing")),
    Damage(
        "other-lines-a-pipe",
        _pipe("planning/other_lines.csv"),
        1,
        1,
        ("planning/other_lines.csv", "is a named pipe"),
    ),
    Damage(
        "money-a-folder",
        _folder("planning/funding_workforce.csv"),
        1,
        1,
        ("planning/funding_workforce.csv", "is a folder"),
    ),
    Damage(
        "profile-not-json",
        _bytes("planning/profile.json", b"{"),
        1,
        1,
        ("planning/profile.json", "cannot be read"),
    ),
    # ---- report pages and charts
    Damage("page-a-named-pipe", _pipe(PAGE), 1, 1, (PAGE, "is a named pipe")),
    Damage("page-a-folder", _folder(PAGE), 1, 1, (PAGE, "is a folder")),
    Damage("page-not-utf8", _bytes(PAGE, b"\xff\xfe<html>"), 1, 1, (PAGE, "cannot be read")),
    Damage("chart-replaced", _other_chart, 1, 1, (CHART, CHANGED), (f"changed: {CHART}",)),
    Damage("chart-byte-flipped", _flip(CHART), 1, 1, (CHART, CHANGED)),
    Damage("chart-a-named-pipe", _pipe(CHART), 1, 1, (CHART, "is a named pipe")),
    Damage("chart-missing", _gone(CHART), 1, 1, (CHART, "missing")),
    # ---- the spine
    Damage(
        "parquet-cut-off",
        _cut("apportionment.parquet", 100),
        2,
        1,
        ("apportionment.parquet", "cannot be read"),
    ),
    Damage(
        "spine-csv-byte-flipped",
        _flip("apportionment.csv", 0.3),
        1,
        1,
        ("apportionment.csv", CHANGED),
    ),
    Damage(
        "workbook-meta-not-json",
        _bytes("workbooks.json", b"{"),
        2,
        1,
        ("workbooks.json", "not valid JSON"),
    ),
    # ---- the manifest
    Damage(
        "manifest-a-folder",
        _folder("manifest.json"),
        1,
        2,
        ("manifest.json", "is a folder"),
    ),
    Damage("manifest-a-pipe", _pipe("manifest.json"), 1, 2, ("manifest.json", "named pipe")),
    Damage("manifest-empty", _bytes("manifest.json", b""), 1, 2, ("manifest.json", "JSON")),
    Damage("manifest-not-json", _bytes("manifest.json", b"{"), 1, 2, ("manifest.json", "JSON")),
    Damage(
        "manifest-not-utf8",
        _bytes("manifest.json", b"\xff\xfe{}"),
        1,
        2,
        ("manifest.json", "cannot be read"),
    ),
    Damage(
        "manifest-a-list",
        _bytes("manifest.json", b'["tool", "mhtool"]'),
        1,
        2,
        ("manifest.json", "must be a table"),
    ),
    Damage(
        "manifest-deeply-nested",
        _bytes("manifest.json", b"[" * 100000 + b"]" * 100000),
        1,
        2,
        ("manifest.json", "nested too deeply"),
    ),
    Damage(
        "manifest-outputs-a-list",
        _manifest(_set("outputs", [1, 2])),
        1,
        2,
        ("manifest.json", "field 'outputs'", "file -> sha256"),
    ),
    Damage(
        "manifest-outputs-not-hashes",
        _manifest(_set("outputs", WB, "abc")),
        1,
        2,
        ("manifest.json", f"field 'outputs.{WB}'", "sha256"),
    ),
    Damage(
        "manifest-outputs-missing",
        _manifest(lambda d: d.pop("outputs")),
        1,
        2,
        ("manifest.json", "field 'outputs'", "file -> sha256"),
    ),
    Damage(
        "manifest-settings-wrong-type",
        _manifest(_set("settings", "geography", [2022])),
        1,
        2,
        ("manifest.json", "field 'settings.geography'"),
    ),
    Damage(
        "manifest-settings-a-string",
        _manifest(_set("settings", "geography=2022")),
        1,
        2,
        ("manifest.json", "field 'settings'"),
    ),
    Damage(
        "manifest-population-year-text",
        _manifest(_set("settings", "population_year", "2020")),
        1,
        2,
        ("manifest.json", "field 'settings.population_year'"),
    ),
    Damage(
        "manifest-another-tool",
        _manifest(_set("tool", "other")),
        1,
        2,
        ("manifest.json", "field 'tool'", "not a manifest an mhtool run wrote"),
    ),
    Damage(
        "manifest-inputs-not-hashes",
        _manifest(_set("inputs", "values", 5)),
        1,
        2,
        ("manifest.json", "field 'inputs.values'"),
    ),
    Damage(
        "manifest-lists-a-file-never-written",
        _manifest(_list_more),
        1,
        1,
        ("systems/QZZ.xlsx", "missing"),
    ),
]


@pytest.fixture(autouse=True)
def _planning_once(monkeypatch):
    """Every case copies one run, so the planning export the check rebuilds from the
    spine is the same each time: built once (keyed by the spine's rows and the spec), so
    the whole matrix costs seconds. The comparison with the files on disk still runs."""
    from mhtool.outputs.planning import write as planning

    real = planning.build

    def build(prepared, spec, source, **kw):
        key = (
            prepared.height,
            int(prepared.hash_rows().sum()),
            json.dumps(spec, sort_keys=True, default=str),
            source,
            repr(sorted(kw.items(), key=lambda kv: kv[0])),
        )
        if key not in _BUILT:
            _BUILT[key] = real(prepared, spec, source, **kw)
        return _BUILT[key]

    monkeypatch.setattr(planning, "build", build)


_BUILT: dict = {}


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("finished") / "run"
    result = invoke(["run", *SMALL, "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


def _clean(result, want: int, says: tuple[str, ...], command: str) -> None:
    shown = f"{command}: exit {result.exit_code}\n{result.output}"
    assert result.exit_code == want, shown
    assert result.exception is None or isinstance(result.exception, SystemExit), shown
    assert "Traceback" not in result.output, shown
    for phrase in says:
        assert phrase in result.output, f"{phrase!r} not said\n{shown}"


@pytest.mark.parametrize("case", DAMAGES, ids=[d.id for d in DAMAGES])
def test_a_damaged_run_is_reported_not_a_traceback(case: Damage, finished: Path, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(finished, run, symlinks=True)
    case.damage(run)
    _clean(invoke(["check", str(run), "-q"]), case.check, case.says, "check")
    verify_says = case.verify_says or case.says[:1]
    _clean(invoke(["verify", str(run)]), case.verify, verify_says, "verify")


def test_check_lists_every_bad_file_not_just_the_first(finished, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    for damage in (_cut(WB), _pipe(CSV), _other_chart, _folder(PAGE)):
        damage(run)
    result = invoke(["check", str(run), "-q"])
    _clean(result, 1, (WB, CSV, CHART, PAGE), "check")
    result = invoke(["verify", str(run)])
    _clean(result, 1, (f"changed: {WB}", CSV, f"changed: {CHART}", PAGE), "verify")


def test_an_unreadable_file_is_reported_and_the_rest_still_checked(finished, tmp_path, monkeypatch):
    """A file the user may not read (tests may run as root, who reads anything, so the
    refusal is injected where every reader opens files)."""
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    _other_chart(run)
    locked = str(run / CSV)
    real = io.open

    def refuse(file, *a, **k):
        if str(file) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real(file, *a, **k)

    monkeypatch.setattr(io, "open", refuse)
    monkeypatch.setattr(builtins, "open", refuse)
    result = invoke(["verify", str(run)])
    _clean(result, 1, (f"unreadable: {CSV}", "Permission denied", f"changed: {CHART}"), "verify")
    result = invoke(["check", str(run), "-q"])
    _clean(result, 1, (CSV, "Permission denied", CHART), "check")


def test_an_intact_run_passes_and_quiet_means_silent(finished, tmp_path):
    for args in (
        ["verify", str(finished), "-q"],
        ["-q", "check", str(finished)],
        ["diff", str(finished), str(finished), "--out", str(tmp_path / "c.csv"), "-q"],
        ["run", "--config", str(finished / "manifest.json"), "--out", str(tmp_path / "r"), "-q"],
    ):
        result = invoke(args)
        assert result.exit_code == 0 and result.output == "", (args, result.output)
    result = invoke(["verify", str(finished)])
    assert result.exit_code == 0 and "match manifest.json" in result.output
    result = invoke(["check", str(finished)])
    assert result.exit_code == 0 and result.stdout.startswith("OK:")


def test_the_damage_matrix_is_broad():
    ids = [d.id for d in DAMAGES]
    assert len(ids) == len(set(ids)) and len(ids) >= 40
    kinds = {i.split("-")[0] for i in ids}
    assert {"workbook", "csv", "page", "chart", "parquet", "manifest"} <= kinds
