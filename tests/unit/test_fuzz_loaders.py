"""Every loader, fed structured junk (hypothesis): it returns a clean result or raises the
tool's own InputError, never anything else, so bad input can never end in a traceback.

MHTOOL_FUZZ_EXAMPLES=400 runs a longer hunt than the default 60 examples per loader.
Junk is built from the real vocabulary (field names, codes, years, number spellings) mixed
with the wrong types, NaN, huge numbers, control characters and broken bytes, so examples
reach the deep checks, not only the first one.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mhtool import userfiles
from mhtool.errors import InputError

FUZZ = settings(
    max_examples=int(os.environ.get("MHTOOL_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)

WORDS = [
    "fixed", "flexible", "targeted", "count", "rate", "standard", "sites", "activity",
    "funding", "workforce", "people", "percent", "gbp", "staff", "days", "stated", "inferred",
    "2019/20", "2023/24", "2030/31", "mh_need", "births_proxy", "PMH-01", "CYP-01", "T-01",
    "https://example.org", "seed:x", "QHM", "Y63", "00L", "icb", "subicb", "2022", "2026",
    "=1+1", "", " ", "\t", "a\nb", "\x00", "é", "\ud7ff", "1,5", "1e18",
]  # fmt: skip
KEYS = [
    "catalogue", "name", "years", "title", "extends", "programmes", "bases", "basis_overrides",
    "ambition", "id", "programme", "category", "kind", "measure", "unit", "unit_kind", "basis",
    "values", "year", "value", "high", "provenance", "source", "note", "targets",
    "targets_note", "national_only", "additional", "anchor", "part_of", "remainder_of",
    "status", "ages", "column", "allocation_year", "label", "path", "planning", "ref",
    "ambition_id", "planning_ref", "rule", "geography", "population_year", "level", "region",
    "system", "out", "values", "rebuild_reference_data", "reference_data", "raw",
]  # fmt: skip

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)  # TOML-writable
leaves = st.one_of(
    st.sampled_from(WORDS),
    text,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
junk = st.recursive(
    leaves,
    lambda kids: st.one_of(
        st.lists(kids, max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), text), kids, max_size=4),
    ),
    max_leaves=12,
)


def toml(doc: dict) -> str:
    """A TOML document for `doc` (every table inline), so any generated shape is writable."""

    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return (
                "nan"
                if math.isnan(v)
                else ("inf" if v > 0 else "-inf")
                if math.isinf(v)
                else repr(v)
            )
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return "{" + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + "}"

    return "".join(f"{json.dumps(k)} = {value(v)}\n" for k, v in doc.items())


def mutated(base: dict):
    """`base` with one place in it (any depth) replaced by junk, or a key added."""

    @st.composite
    def build(draw):
        doc = json.loads(json.dumps(base))
        node = doc
        for _ in range(draw(st.integers(0, 4))):
            kids = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
            kids = [(k, v) for k, v in kids if isinstance(v, (dict, list)) and v]
            if not kids:
                break
            node = draw(st.sampled_from(kids))[1]
        if isinstance(node, dict):
            key = draw(st.one_of(st.sampled_from(sorted(node) or KEYS), st.sampled_from(KEYS)))
            node[key] = draw(junk)
        elif node:
            node[draw(st.integers(0, len(node) - 1))] = draw(junk)
        return doc

    return build()


_made: list[Path] = []


@pytest.fixture(autouse=True, scope="module")
def _tidy():
    yield
    for folder in _made:
        shutil.rmtree(folder, ignore_errors=True)


def _file(name: str, data: str | bytes) -> Path:
    path = Path(tempfile.mkdtemp(prefix="mhtool-fuzz-")) / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    _made.append(path.parent)
    return path


def clean_or_input_error(f, *args):
    """Call `f`; an InputError is a clean refusal, and it must name its file."""
    try:
        return f(*args)
    except InputError as exc:
        assert exc.file, f"an InputError naming no file: {exc}"
        return exc


# ---------------------------------------------------------------- catalogue

SMALL_CATALOGUE = {
    "catalogue": {"name": "fuzz", "years": ["2022/23", "2023/24"]},
    "bases": {
        "mine": {
            "source": "need_weighted",
            "column": "mh_wp",
            "allocation_year": "2022/23",
            "label": "need",
        },
    },  # fmt: skip
    "ambition": [
        {
            "id": "F-01",
            "programme": "P",
            "title": "People seen",
            "category": "fixed",
            "kind": "count",
            "measure": "activity",
            "unit": "people per year",
            "unit_kind": "people",
            "basis": "mine",
            "source": "https://example.org",
            "values": [{"year": "2023/24", "value": 1000, "provenance": "stated"}],
        },  # fmt: skip
        {
            "id": "F-02",
            "programme": "P",
            "title": "Coverage",
            "category": "flexible",
            "kind": "rate",
            "measure": "activity",
            "unit": "percent of the population",
            "unit_kind": "percent",
            "source": "https://example.org",
            "values": [{"year": "2022/23", "value": 50, "high": 60, "provenance": "stated"}],
        },  # fmt: skip
    ],
}


def test_the_fuzzed_catalogue_starts_valid():
    from mhtool.catalogue.load import load_catalogue

    cat = load_catalogue(_file("c.toml", toml(SMALL_CATALOGUE)))
    assert [a.id for a in cat.ambitions] == ["F-01", "F-02"]


@FUZZ
@given(mutated(SMALL_CATALOGUE))
def test_catalogue_loader(doc):
    from mhtool.catalogue.load import load_catalogue

    clean_or_input_error(load_catalogue, _file("c.toml", toml(doc)))


@FUZZ
@given(st.binary(max_size=200))
def test_catalogue_loader_on_bytes(data):
    from mhtool.catalogue.load import load_catalogue

    clean_or_input_error(load_catalogue, _file("c.toml", b'[catalogue]\nname = "x"\n' + data))


# ---------------------------------------------------------------- CSV inputs

numberish = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers().map(str),
    st.from_regex(r"[+-]?[0-9,. ]{0,9}(e[+-]?[0-9]{1,4})?", fullmatch=True),
    st.sampled_from(["1,5", "12,000", "1.234.567", "£5", "5%", "nan", "inf", "", " 7 "]),
)
cellish = st.one_of(numberish, st.sampled_from(WORDS), st.text(max_size=8))


def csv_text(rows: list[list[str]], sep: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\n").writerows(rows)
    return buf.getvalue()


@cache
def _shipped():
    from mhtool.catalogue.load import load_catalogue

    return load_catalogue()


@FUZZ
@given(
    st.lists(st.sampled_from(["ambition_id", "year", "value", "note", "x", ""]), max_size=5),
    st.lists(
        st.tuples(
            st.sampled_from(["PMH-01", "WF-01", "FUN-01", "PMH-03", "XX"]),
            st.sampled_from(["2023/24", "2022/23", "2030/31", "x"]),
            numberish,
            cellish,
        ).map(list),
        max_size=6,
    ),
    st.sampled_from([",", ";", "\t"]),
)
def test_values_loader(header, rows, sep):
    from mhtool.catalogue.overrides import apply_overrides

    path = _file("v.csv", csv_text([header or ["ambition_id", "year", "value"], *rows], sep))
    clean_or_input_error(apply_overrides, _shipped(), path)


@cache
def _subicbs() -> frozenset[str]:
    from mhtool.refdata import store

    return frozenset(store.geography("2022")["subicb_code"])


@FUZZ
@given(
    st.lists(st.sampled_from(["org_code", "weight", "name", "weight", ""]), max_size=4),
    st.lists(
        st.tuples(st.sampled_from(["00L", "00N", "QHM", ""]), numberish).map(list), max_size=6
    ),
)
def test_weights_loader(header, rows):
    from mhtool.bases import read_weights_csv

    path = _file("w.csv", csv_text([header or ["org_code", "weight"], *rows], ","))
    clean_or_input_error(read_weights_csv, path, set(_subicbs()))


@FUZZ
@given(st.binary(max_size=300))
def test_csv_reader_on_bytes(data):
    path = _file("b.csv", b"ambition_id,year,value\n" + data)

    def read():
        return list(userfiles.rows(path, ["ambition_id", "year", "value"], ["note"]))

    clean_or_input_error(read)


@FUZZ
@given(st.text(max_size=30))
def test_number_rule(text):
    try:
        value = userfiles.number(text)
    except ValueError:
        return
    assert math.isfinite(value)
    assert "," not in text or all(len(g) == 3 for g in text.strip().split(".")[0].split(",")[1:])


# ---------------------------------------------------------------- TOML settings files

BASE_CONFIG = {"geography": "2022", "population_year": 2020, "level": "icb", "out": "o"}


@FUZZ
@given(mutated(BASE_CONFIG))
def test_refresh_config_loader(doc):
    from mhtool.job.settings import RunConfig, read_config

    got = clean_or_input_error(read_config, _file("r.toml", toml(doc)))
    if isinstance(got, dict):
        RunConfig(**got)  # every key it accepts is a setting a run takes


BASE_PLANNING = {
    "planning": {"profile_note": "note"},
    "ref": [{"ambition_id": "PMH-01", "planning_ref": "E.A.1", "rule": "point_in_time"}],
}


@FUZZ
@given(mutated(BASE_PLANNING))
def test_planning_references_loader(doc):
    from mhtool.planning import refs as planning_refs

    ids = {a.id for a in _shipped().ambitions}
    clean_or_input_error(planning_refs.load, _file("p.toml", toml(doc)), ids)


@FUZZ
@given(st.binary(max_size=200))
def test_toml_settings_on_bytes(data):
    from mhtool.job.settings import read_config
    from mhtool.planning import refs as planning_refs

    path = _file("r.toml", data)
    clean_or_input_error(read_config, path)
    clean_or_input_error(planning_refs.load, path, {"PMH-01"})


@pytest.mark.parametrize("suffix", [".gz", ".zip", ".csv"])
@FUZZ
@given(data=st.binary(max_size=300))
def test_raw_file_unwrapping(suffix, data):
    from mhtool.refdata.raw import unwrap

    try:
        out = unwrap(data, suffix, f"raw{suffix}")
    except InputError:
        return
    out.decode("utf-8")


# ---------------------------------------------------------------- plans (`mhtool assure`)

PLAN_HEAD = ["icb_code", "org_code", "planning_ref", "measure_type", "fin_year", "value"]


@FUZZ
@given(
    st.lists(st.sampled_from([*PLAN_HEAD, "Apr", "Mar", "source", "x", ""]), max_size=8),
    st.lists(st.lists(cellish, max_size=8), max_size=5),
)
def test_plan_reader(header, rows):
    """A plan file is read row by row: every problem is an Issue, never an exception."""
    from mhtool.assure.read import read_plan

    path = _file("plan.csv", csv_text([header or PLAN_HEAD, *rows], ","))
    got, issues = read_plan(path)
    assert all(i.file == str(path) for i in issues)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".txt"])
@FUZZ
@given(data=st.binary(max_size=300))
def test_plan_reader_on_bytes(suffix, data):
    from mhtool.assure.read import read_plan

    read_plan(_file(f"plan{suffix}", data))


# ---------------------------------------------------------------- earlier formats, manifests, locks

#: SMALL_CATALOGUE as catalogue format 1 wrote it: no ambition declares unit_kind.
V1_CATALOGUE = {
    **SMALL_CATALOGUE,
    "ambition": [
        {k: v for k, v in a.items() if k != "unit_kind"} for a in SMALL_CATALOGUE["ambition"]
    ],
}


def test_the_fuzzed_format_1_catalogue_starts_valid():
    from mhtool.catalogue.load import load_catalogue

    cat = load_catalogue(_file("c.toml", toml(V1_CATALOGUE)))
    assert [a.unit_kind for a in cat.ambitions] == ["people", "percent"]


@FUZZ
@given(mutated(V1_CATALOGUE))
def test_format_1_catalogue_loader(doc):
    """The unit_kind inference meets any shape of ambition: it infers or leaves the
    field to the schema's error, never fails itself."""
    from mhtool.catalogue.load import load_catalogue

    clean_or_input_error(load_catalogue, _file("c.toml", toml(doc)))


@cache
def _manifest() -> dict:
    """A manifest as a run writes one (every field), over one output file."""
    return {
        "tool": "mhtool",
        "format": 2,
        "version": "0.1.0",
        "git_commit": None,
        "catalogue_sha256": "a" * 64,
        "environment": {"python": "3.11.7", "packages": {"xlsxwriter": "3.3.1"}},
        "settings": {
            "catalogue": None,
            "catalogue_name": "mhip_2019_24",
            "geography": "2022",
            "population_year": 2020,
            "level": "icb",
            "values": "/nowhere/v.csv",
            "places": "pcn",
            "planning_subicb": False,
            "unallocated": "place",
        },
        "inputs": {"values": "b" * 64, "reference_data/bases.toml": "c" * 64},
        "input_paths": {"values": "/nowhere/v.csv"},
        "outputs": {"apportionment.csv": "d" * 64},
        "not_hashed": ["run.log"],
    }


def _run_folder(manifest: bytes) -> Path:
    folder = _file("manifest.json", manifest).parent
    (folder / "apportionment.csv").write_text("x\n")
    return folder


def _read_and_replay(folder: Path):
    from mhtool.infra.manifest import verify
    from mhtool.job import replay
    from mhtool.job.pipeline import RunConfig

    clean_or_input_error(verify, folder)
    doc = clean_or_input_error(replay.read, folder / "manifest.json")
    if isinstance(doc, dict):
        settings = clean_or_input_error(replay.settings, doc, RunConfig.keys(), folder)
        if isinstance(settings, dict):
            replay.what_differs(doc, settings)


@FUZZ
@given(mutated(_manifest()))
def test_manifest_readers(doc):
    """verify, check's manifest reading and a replay: any manifest shape is read or
    refused with the file named, never a traceback."""
    _read_and_replay(_run_folder(json.dumps(doc).encode()))


@FUZZ
@given(st.binary(max_size=300))
def test_manifest_readers_on_bytes(data):
    _read_and_replay(_run_folder(data))


@FUZZ
@given(st.binary(max_size=200))
def test_lock_record_on_bytes(data):
    """A lock file left with any bytes in it is read as a holder record or as none, and
    the next run takes the lock over it."""
    from mhtool.infra.lock import lock_path, read_holder, run_lock

    target = _file("x", b"").parent / "out"
    path = lock_path(target)
    path.write_bytes(data)
    assert isinstance(read_holder(path), dict)
    try:
        with run_lock(target, "mhtool fuzz"):
            assert read_holder(path)["command"] == "mhtool fuzz"
    except Exception as exc:  # another host named in the record: the lock stays theirs
        from mhtool.infra.lock import LockHeld

        assert isinstance(exc, LockHeld), repr(exc)
