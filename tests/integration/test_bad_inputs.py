"""The bad-input and fault matrix: every file and flag the tool reads, given what an analyst
or a hostile tester might hand it.

Each case asserts the exit status, that no traceback is shown, that stderr names the file,
the row and the field in a planner's words, that the previous run in --out is byte-identical
with its permissions, and that nothing is left behind (no staging folder, no lock). The
table is declarative: a new case is a new row. Cases run in-process on a one-ICB run.
"""

from __future__ import annotations

import errno
import gzip
import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import polars as pl
import pytest
from fixtures.hostile import (
    SMALL,
    Case,
    assert_refused,
    copy_run,
    fill,
    invoke,
    refused_cleanly,
)

from mhtool.infra.paths import default_raw_dir, reference_data_dir

SUBICBS = pl.read_csv(reference_data_dir() / "geography" / "geography_2022.csv")[
    "subicb_code"
].to_list()
VALUES_HEAD = "ambition_id,year,value\n"
WEIGHTS = "org_code,weight\n" + "".join(f"{s},1\n" for s in SUBICBS)
FIRST = SUBICBS[3]  # the sub-ICB on data row 5 of WEIGHTS


def weights_with(row5: str) -> str:
    """The good weights file with data row 5 (line 5) replaced."""
    return WEIGHTS.replace(f"\n{FIRST},1\n", f"\n{row5}\n", 1)


WEIGHTS_CATALOGUE = """[catalogue]
extends = "mhip_2019_24"
[bases.mine]
source = "csv"
path = "w.csv"
label = "our own weights"
[basis_overrides]
PMH-02 = "mine"
"""


def one_ambition(**over) -> str:
    """A catalogue extending the shipped one, restating PMH-01 with some fields changed."""
    fields = {
        "id": '"PMH-01"',
        "programme": '"Perinatal"',
        "title": '"Women reached"',
        "category": '"fixed"',
        "kind": '"count"',
        "measure": '"activity"',
        "unit": '"women per year"',
        "unit_kind": '"people"',
        "basis": '"births_proxy"',
        "source": '"https://example.org/plan"',
        "values": '[{year = "2023/24", value = 66000, provenance = "stated"}]',
    } | over
    body = "\n".join(f"{k} = {v}" for k, v in fields.items() if v is not None)
    return f'[catalogue]\nextends = "mhip_2019_24"\n\n[[ambition]]\n{body}\n'


def run(*args: str) -> tuple[str, ...]:
    return ("run", *SMALL, "--out", "{out}", *args)


def values(body: str, head: str = VALUES_HEAD) -> dict[str, str | bytes]:
    return {"v.csv": head + body if isinstance(body, str) else head.encode() + body}


V = run("--values", "{d}/v.csv")
W = run("--catalogue", "{d}/cat.toml")
C = run("--catalogue", "{d}/c.toml")
R = ("refresh", "--config", "{d}/r.toml", *SMALL, "--out", "{out}")


def _file_as_parent(d: Path, out: Path, mp) -> None:
    (d / "afile").write_text("not a folder")


def _lock_is_folder(d: Path, out: Path, mp) -> None:
    (out.parent / f"{out.name}.lock").mkdir()


def _foreign(d: Path, out: Path, mp) -> None:
    (d / "theirs").mkdir()
    (d / "theirs" / "manifest.json").write_text('{"name": "another tool", "files": ["a.txt"]}')
    (d / "theirs" / "a.txt").write_text("theirs")


def _not_json(d: Path, out: Path, mp) -> None:
    (d / "theirs").mkdir()
    (d / "theirs" / "manifest.json").write_text("files: a.txt\n")
    (d / "theirs" / "a.txt").write_text("theirs")


def _read_only(d: Path, out: Path, mp) -> None:
    """The folder holding --out is on a read-only filesystem, as access(2) reports it
    (the tests may run as root, who can write anywhere else)."""
    real = os.access
    mp.setattr(os, "access", lambda p, m, *a, **k: Path(p) != d and real(p, m, *a, **k))


def _damaged_copy(rel: str):
    """{d}/bad: a copy of the previous run with `rel` cut to its first 100 bytes."""

    def setup(d: Path, out: Path, mp) -> None:
        shutil.copytree(out, d / "bad")
        (d / "bad" / rel).write_bytes((out / rel).read_bytes()[:100])

    return setup


def _oserror(where: str, err: int):
    """Make `where` (module.attr) fail as the disk would, naming a path in --out's folder."""

    def setup(d: Path, out: Path, mp) -> None:
        def fail(*a, **k):
            raise OSError(err, os.strerror(err), str(d / ".out.tmp-x"))

        mp.setattr(where, fail)

    return setup


RAW_GEO = "geographr/lookup_lsoa11_ccg21_stp21_ltla21.csv.gz"  # the first raw file a build reads
RAW_ZIP = "nhsd_gp_registered/gp-reg-pat-prac-map_2026-08.zip"


def _raw(rel: str, damage):
    """A raw folder (links to the real files) with `rel` replaced by damage(its bytes)."""

    def setup(d: Path, out: Path, mp) -> None:
        raw = default_raw_dir()
        if not raw.is_dir():
            pytest.skip("raw public files absent")
        for p in raw.rglob("*"):
            if p.is_file():
                link = d / "raw" / p.relative_to(raw)
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(p)
        (d / "raw" / rel).unlink()
        (d / "raw" / rel).write_bytes(damage((raw / rel).read_bytes()))

    return setup


def _gz_lines(f):
    return lambda data: gzip.compress(f(gzip.decompress(data)))


def _zip_of(*names: str):
    def damage(data: bytes) -> bytes:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            csv = zf.read(zf.namelist()[0])
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for name in names:
                zf.writestr(name, csv)
        return buf.getvalue()

    return damage


def _reference(damage):
    """A copy of the shipped reference data, damaged, that the run is pointed at."""

    def setup(d: Path, out: Path, mp) -> None:
        shutil.copytree(reference_data_dir(), d / "ref")
        damage(d / "ref")
        mp.setenv("MHTOOL_REFERENCE_DATA", str(d / "ref"))

    return setup


def _edit(rel: str, f):
    def damage(ref: Path) -> None:
        (ref / rel).write_bytes(f((ref / rel).read_bytes()))

    return damage


def _unrecord(rel: str, key: str | None):
    """Take the table's sha256 (key) or its whole entry (None) out of sources.json."""

    def damage(ref: Path) -> None:
        doc = json.loads((ref / "sources.json").read_text())
        if key:
            del doc["tables"][rel][key]
        else:
            del doc["tables"][rel]
        (ref / "sources.json").write_text(json.dumps(doc))

    return damage


def _both(*damages):
    def damage(ref: Path) -> None:
        for f in damages:
            f(ref)

    return damage


GEO22 = "geography/geography_2022.csv"
B = ("refdata", "build", "--raw", "{d}/raw", "--out", "{out}")


CASES = [
    # ---- --values: the user's own national figures
    Case(
        "values-decimal-comma",
        V,
        ("v.csv", "row 2", "field 'value'", "decimal"),
        values('PMH-01,2023/24,"1,5"\n'),
    ),
    Case(
        "values-thousands-badly-grouped",
        V,
        ("v.csv", "row 2", "field 'value'", "thousands"),
        values('PMH-01,2023/24,"12,00"\n'),
    ),
    Case(
        "values-european-thousands",
        V,
        ("v.csv", "row 2", "field 'value'", "not a number"),
        values("PMH-01,2023/24,1.234.567\n"),
    ),
    Case(
        "values-space-thousands",
        V,
        ("v.csv", "row 2", "field 'value'", "not a number"),
        values("PMH-01,2023/24,12 000\n"),
    ),
    Case(
        "values-currency-sign",
        V,
        ("v.csv", "row 2", "field 'value'", "not a number"),
        values("FUN-01,2023/24,£5000000\n"),
    ),
    Case(
        "values-1e18",
        V,
        ("v.csv", "row 2", "field 'value'", "beyond any national figure"),
        values("PMH-01,2023/24,1e18\n"),
    ),
    Case(
        "values-beyond-sane-funding",
        V,
        ("v.csv", "row 3", "field 'value'", "beyond any national figure"),
        values("PMH-01,2023/24,66000\nFUN-01,2023/24,5e13\n"),
    ),
    Case(
        "values-exponent-overflow",
        V,
        ("v.csv", "row 2", "field 'value'", "too large"),
        values("PMH-01,2023/24,1e999\n"),
    ),
    Case(
        "values-nan",
        V,
        ("v.csv", "row 2", "field 'value'", "not a number"),
        values("PMH-01,2023/24,nan\n"),
    ),
    Case(
        "values-percent-over-100",
        V,
        ("v.csv", "row 2", "field 'value'", "percentage above 100"),
        values("PMH-03,2023/24,101\n"),
    ),
    Case(
        "values-negative",
        V,
        ("v.csv", "row 2", "field 'value'", "negative"),
        values("PMH-01,2023/24,-5\n"),
    ),
    Case(
        "values-wte-not-tenths",
        V,
        ("v.csv", "row 2", "field 'value'", "whole number of 0.1"),
        values("WF-01,2023/24,10.25\n"),
    ),
    Case(
        "values-duplicate-header",
        V,
        ("v.csv", "row 1", "field 'value'", "twice"),
        values("PMH-01,2023/24,5,6\n", head="ambition_id,year,value,value\n"),
    ),
    Case(
        "values-unknown-column",
        V,
        ("v.csv", "row 1", "field 'provenance'", "unknown column"),
        values("PMH-01,2023/24,5,stated\n", head="ambition_id,year,value,provenance\n"),
    ),
    Case(
        "values-semicolons",
        V,
        ("v.csv", "row 1", "semicolons"),
        values("PMH-01;2023/24;5\n", head="ambition_id;year;value\n"),
    ),
    Case(
        "values-extra-cells",
        V,
        ("v.csv", "row 2", "4 cells", "3 columns"),
        values("PMH-01,2023/24,5,6\n"),
    ),
    Case(
        "values-missing-cell",
        V,
        ("v.csv", "row 2", "field 'value'", "not a number"),
        values("PMH-01,2023/24\n"),
    ),
    Case("values-empty-file", V, ("v.csv", "row 1", "empty"), {"v.csv": ""}),
    Case(
        "values-not-utf8",
        V,
        ("v.csv", "row 3", "UTF-8"),
        values(b"PMH-01,2023/24,66000\nPMH-02,2023/24,5\xe9\n"),
    ),
    Case(
        "values-nul-byte",
        V,
        ("v.csv", "row 2", "field 'value'"),
        values("PMH-01,2023/24,5\x00\n"),
    ),
    Case(
        "values-unknown-ambition",
        V,
        ("v.csv", "row 2", "field 'ambition_id'", "unknown ambition"),
        values("XYZ-01,2023/24,5\n"),
    ),
    Case(
        "values-unknown-year",
        V,
        ("v.csv", "row 2", "field 'year'", "2030/31"),
        values("PMH-01,2030/31,5\n"),
    ),
    Case(
        "values-given-twice",
        V,
        ("v.csv", "row 3", "field 'year'", "twice"),
        values("PMH-01,2023/24,5\nPMH-01,2023/24,6\n"),
    ),
    Case(
        "values-remainder-line",
        V,
        ("v.csv", "row 2", "field 'ambition_id'", "minus its parts"),
        values("FUN-07,2023/24,5\n"),
    ),
    Case("values-missing-file", V, ("v.csv", "not found")),
    # ---- weights of a `csv` basis
    Case(
        "weights-decimal-comma",
        W,
        ("w.csv", "row 5", "field 'weight'", "decimal"),
        {"cat.toml": WEIGHTS_CATALOGUE, "w.csv": weights_with(f'{FIRST},"1,5"')},
    ),
    Case(
        "weights-1e300",
        W,
        ("w.csv", "row 5", "field 'weight'", "from 0 to"),
        {"cat.toml": WEIGHTS_CATALOGUE, "w.csv": weights_with(f"{FIRST},1e300")},
    ),
    Case(
        "weights-duplicate-header",
        W,
        ("w.csv", "row 1", "field 'weight'", "twice"),
        {
            "cat.toml": WEIGHTS_CATALOGUE,
            "w.csv": WEIGHTS.replace("org_code,weight\n", "org_code,weight,weight\n"),
        },
    ),
    Case(
        "weights-extra-cell",
        W,
        ("w.csv", "row 5", "3 cells"),
        {"cat.toml": WEIGHTS_CATALOGUE, "w.csv": weights_with(f"{FIRST},1,7")},
    ),
    Case(
        "weights-negative",
        W,
        ("w.csv", "row 5", "field 'weight'"),
        {"cat.toml": WEIGHTS_CATALOGUE, "w.csv": weights_with(f"{FIRST},-1")},
    ),
    Case(
        "weights-all-zero",
        W,
        ("w.csv", "field 'weight'", "every weight is zero"),
        {"cat.toml": WEIGHTS_CATALOGUE, "w.csv": WEIGHTS.replace(",1\n", ",0\n")},
    ),
    Case(
        "weights-duplicate-code",
        W,
        ("w.csv", f"row {len(SUBICBS) + 2}", "field 'org_code'", "duplicate"),
        {"cat.toml": WEIGHTS_CATALOGUE, "w.csv": WEIGHTS + f"{SUBICBS[0]},1\n"},
    ),
    Case(
        "weights-missing-subicb",
        W,
        ("w.csv", "field 'org_code'", "missing"),
        {"cat.toml": WEIGHTS_CATALOGUE, "w.csv": weights_with("")},
    ),
    Case(
        "weights-not-utf8",
        W,
        ("w.csv", "row 1", "UTF-8"),
        {"cat.toml": WEIGHTS_CATALOGUE, "w.csv": WEIGHTS.encode().replace(b"org_", b"\xe9rg_")},
    ),
    Case(
        "weights-missing-file",
        W,
        ("w.csv", "not found"),
        {"cat.toml": WEIGHTS_CATALOGUE},
    ),
    # ---- the catalogue (value checks; TOML shapes are covered by the catalogue schema)
    Case(
        "catalogue-not-utf8",
        C,
        ("c.toml", "row 2", "UTF-8"),
        {"c.toml": b'[catalogue]\nname = "caf\xe9"\n'},
    ),
    Case(
        "catalogue-nan",
        C,
        ("c.toml", "ambition PMH-01", "field 'values[0].value'", "finite"),
        {"c.toml": one_ambition(values='[{year = "2023/24", value = nan, provenance = "stated"}]')},
    ),
    Case(
        "catalogue-inf",
        C,
        ("c.toml", "ambition PMH-01", "field 'values[0].value'", "finite"),
        {"c.toml": one_ambition(values='[{year = "2023/24", value = inf, provenance = "stated"}]')},
    ),
    Case(
        "catalogue-1e19",
        C,
        ("c.toml", "ambition PMH-01", "field 'values[0].value'", "beyond any national figure"),
        {
            "c.toml": one_ambition(
                values='[{year = "2023/24", value = 1e19, provenance = "stated"}]'
            )
        },
    ),
    Case(
        "catalogue-high-nan",
        C,
        ("c.toml", "ambition PMH-03", "field 'values[0].high'", "finite"),
        {
            "c.toml": one_ambition(
                id='"PMH-03"',
                kind='"rate"',
                unit='"percent of births"',
                unit_kind='"percent"',
                basis=None,
                values='[{year = "2023/24", value = 5, high = nan, provenance = "stated"}]',
            )
        },
    ),
    Case("catalogue-missing", C, ("c.toml", "not found")),
    Case(
        "catalogue-bad-toml", C, ("c.toml", "not valid TOML", "line 1"), {"c.toml": "[catalogue\n"}
    ),
    # ---- the refresh config
    Case(
        "config-level-not-a-choice",
        R,
        ("r.toml", "field 'level'", "icb, subicb"),
        {"r.toml": 'level = "lsoa"\n'},
    ),
    Case("config-not-utf8", R, ("r.toml", "row 1", "UTF-8"), {"r.toml": b'region = "Y\xe963"\n'}),
    Case(
        "config-unknown-key",
        R,
        ("r.toml", "field 'geograpy'", "unknown setting"),
        {"r.toml": 'geograpy = "2022"\n'},
    ),
    Case(
        "config-year-not-int",
        R,
        ("r.toml", "field 'population_year'"),
        {"r.toml": "population_year = 2020.5\n"},
    ),
    Case(
        "config-flag-not-bool",
        R,
        ("r.toml", "field 'rebuild_reference_data'"),
        {"r.toml": 'rebuild_reference_data = "yes"\n'},
    ),
    Case("config-missing", R, ("r.toml", "not found")),
    # ---- output places
    Case(
        "out-parent-is-a-file",
        ("run", *SMALL, "--out", "{d}/afile/out"),
        ("afile", "field '--out'", "is a file"),
        setup=_file_as_parent,
    ),
    Case(
        "out-under-proc",
        ("run", *SMALL, "--out", "/proc/mhtool-out"),
        ("/proc/mhtool-out", "field '--out'", "system folder"),
    ),
    Case(
        "out-lock-is-a-folder",
        run(),
        ("out.lock", "not a file"),
        setup=_lock_is_folder,
    ),
    Case(
        "out-holds-another-tools-manifest",
        ("run", *SMALL, "--out", "{d}/theirs"),
        ("theirs", "no manifest.json from an earlier mhtool run"),
        setup=_foreign,
    ),
    Case(
        "out-read-only-filesystem",
        run(),
        ("field '--out'", "read-only or no permission"),
        setup=_read_only,
    ),
    Case(
        "out-disk-full-making-staging",
        run(),
        ("field '--out'", "No space left on device", "previous run is untouched"),
        setup=_oserror("tempfile.mkdtemp", errno.ENOSPC),
    ),
    Case(
        "out-disk-full-writing-outputs",
        run(),
        ("field '--out'", "No space left on device", "previous run is untouched"),
        setup=_oserror("mhtool.job.pipeline.write_spine", errno.ENOSPC),
    ),
    Case(
        "out-holds-a-manifest-that-is-not-json",
        ("run", *SMALL, "--out", "{d}/theirs"),
        ("theirs", "refusing to overwrite"),
        setup=_not_json,
    ),
    # ---- raw files for `refdata build` (the previous reference data must stay as it was)
    Case(
        "raw-zero-byte",
        B,
        (RAW_GEO, "0 bytes"),
        setup=_raw(RAW_GEO, lambda b: b""),
        previous="refdata",
    ),
    Case(
        "raw-truncated-gzip",
        B,
        (RAW_GEO, "truncated or damaged"),
        setup=_raw(RAW_GEO, lambda b: b[:5000]),
        previous="refdata",
    ),
    Case(
        "raw-corrupt-gzip",
        B,
        (RAW_GEO, "truncated or damaged"),
        setup=_raw(RAW_GEO, lambda b: b[:100] + bytes(500) + b[600:]),
        previous="refdata",
    ),
    Case(
        "raw-not-utf8",
        B,
        (RAW_GEO, "row 1", "UTF-8"),
        setup=_raw(RAW_GEO, _gz_lines(lambda t: t.replace(b"E01", b"\xe901", 1))),
        previous="refdata",
    ),
    Case(
        "raw-header-only",
        B,
        (RAW_GEO, "no rows"),
        setup=_raw(RAW_GEO, _gz_lines(lambda t: t.split(b"\n")[0] + b"\n")),
        previous="refdata",
    ),
    Case(
        "raw-zip-truncated",
        B,
        (RAW_ZIP, "truncated or damaged"),
        setup=_raw(RAW_ZIP, lambda b: b[:3000]),
        previous="refdata",
    ),
    Case(
        "raw-zip-two-csvs",
        B,
        (RAW_ZIP, "one CSV", "a.csv", "b.csv"),
        setup=_raw(RAW_ZIP, _zip_of("a.csv", "b.csv")),
        previous="refdata",
    ),
    Case(
        "raw-zip-no-csv",
        B,
        (RAW_ZIP, "one CSV"),
        setup=_raw(RAW_ZIP, _zip_of("a.txt")),
        previous="refdata",
    ),
    # ---- the shipped reference tables, checked against sources.json before any use
    Case(
        "ref-geography-truncated",
        run(),
        (GEO22, "truncated"),
        setup=_reference(_edit(GEO22, lambda b: b[: len(b) // 2].rsplit(b"\n", 1)[0] + b"\n")),
    ),
    Case(
        "ref-geography-rows-short",
        run(),
        (GEO22, "rows where `refdata build` wrote 106"),
        setup=_reference(
            _both(_unrecord(GEO22, "sha256"), _edit(GEO22, lambda b: b.rsplit(b"\n", 3)[0] + b"\n"))
        ),
    ),
    Case(
        "ref-table-edited",
        run(),
        ("need_weighted.csv", "differs"),
        setup=_reference(_edit("need/need_weighted.csv", lambda b: b.replace(b"1", b"2", 1))),
    ),
    Case(
        "ref-table-not-listed",
        run(),
        ("need_weighted.csv", "not listed in sources.json"),
        setup=_reference(_unrecord("need/need_weighted.csv", None)),
    ),
    Case(
        "ref-code-that-is-a-path",
        run(),
        ("geography_2022.csv", "field 'icb_code'", "not an organisation code"),
        setup=_reference(
            _both(
                _unrecord(GEO22, "sha256"), _edit(GEO22, lambda b: b.replace(b",QHM,", b",../QHM,"))
            )
        ),
    ),
    Case(
        "ref-sources-json-corrupt",
        run(),
        ("sources.json", "damaged"),
        setup=_reference(_edit("sources.json", lambda b: b[:100])),
    ),
    Case(
        "ref-sources-json-missing",
        run(),
        ("sources.json", "missing"),
        setup=_reference(lambda ref: (ref / "sources.json").unlink()),
    ),
    Case(
        "ref-table-missing",
        run(),
        (GEO22, "missing"),
        setup=_reference(lambda ref: (ref / GEO22).unlink()),
    ),
    # ---- other commands' files and output places
    Case(
        "diff-out-parent-is-a-file",
        ("diff", "{out}", "{out}", "--out", "{d}/afile/changes.csv"),
        ("afile", "field '--out'", "is a file"),
        setup=_file_as_parent,
    ),
    Case(
        "diff-out-under-proc",
        ("diff", "{out}", "{out}", "--out", "/proc/changes.csv"),
        ("/proc/changes.csv", "system folder"),
    ),
    Case(
        "diff-damaged-spine",
        ("diff", "{d}/bad", "{out}"),
        ("apportionment.parquet", "cannot be read"),
        setup=_damaged_copy("apportionment.parquet"),
    ),
    Case(
        "check-damaged-spine",
        ("check", "{d}/bad"),
        ("apportionment.parquet", "cannot be read"),
        setup=_damaged_copy("apportionment.parquet"),
    ),
    Case(
        "verify-damaged-manifest",
        ("verify", "{d}/bad"),
        ("manifest.json", "not valid JSON"),
        setup=_damaged_copy("manifest.json"),
    ),
    Case(
        "refdata-out-parent-is-a-file",
        ("refdata", "build", "--out", "{d}/afile/ref"),
        ("afile", "is a file"),
        setup=_file_as_parent,
        previous="refdata",
    ),
    Case(
        "refdata-out-under-proc",
        ("refdata", "build", "--out", "/proc/ref"),
        ("/proc/ref", "system folder"),
        previous="refdata",
    ),
    # ---- flags
    Case(
        "flag-unknown-system",
        ("run", "--system", "QZZ", "--out", "{out}"),
        ("field 'system'", "QZZ"),
    ),
    Case(
        "flag-unknown-geography",
        ("run", *SMALL, "--out", "{out}", "--geography", "1999"),
        ("1999", "2022"),
    ),
    Case(
        "flag-population-year-not-shipped",
        ("run", *SMALL, "--out", "{out}", "--population-year", "1800"),
        ("population year 1800", "field 'basis'"),
    ),
]


#: Wrong TOML shapes in a catalogue (the schema's cases): (file text, what the message names).
AMB = one_ambition()
SHAPES = {
    "extends-a-number": ("[catalogue]\nextends = 5\n", "field 'extends'"),
    "extends-a-list": ('[catalogue]\nextends = ["mhip_2019_24"]\n', "field 'extends'"),
    "extends-unknown": ('[catalogue]\nextends = "no_such_round"\n', "field 'extends'"),
    "extends-itself": ('[catalogue]\nextends = "c.toml"\n', "loops back"),
    "catalogue-a-string": ('catalogue = "mhip"\n', "must be a table"),
    "years-a-string": ('[catalogue]\nname = "x"\nyears = "2019/20"\n', "field 'years'"),
    "years-nan": ('[catalogue]\nname = "x"\nyears = [nan]\n', "field 'years[0]'"),
    "ambition-a-table": (
        '[catalogue]\nextends = "mhip_2019_24"\n[ambition]\nid = "PMH-01"\n',
        "field 'ambition'",
    ),
    "values-a-table": (
        AMB.replace(
            'values = [{year = "2023/24", value = 66000, provenance = "stated"}]',
            'values = {year = "2023/24", value = 66000}',
        ),
        "field 'values'",
    ),
    "value-a-string": (AMB.replace("value = 66000", 'value = "66,000"'), "not a number"),
    "value-a-bool": (AMB.replace("value = 66000", "value = true"), "field 'values[0].value'"),
    "year-a-list": (
        AMB.replace('year = "2023/24"', 'year = ["2023/24"]'),
        "field 'values[0].year'",
    ),
    "basis-override-a-number": (
        '[catalogue]\nextends = "mhip_2019_24"\n[basis_overrides]\nPMH-01 = 5\n',
        "field 'basis_overrides'",
    ),
    "basis-override-unknown-ambition": (
        '[catalogue]\nextends = "mhip_2019_24"\n[basis_overrides]\nNOPE-01 = "mh_need"\n',
        "row ambition NOPE-01",
    ),
    "basis-a-string": (
        '[catalogue]\nextends = "mhip_2019_24"\n[bases]\nmine = "mh_need"\n',
        "row basis mine",
    ),
    "basis-unknown-source": (
        '[catalogue]\nextends = "mhip_2019_24"\n[bases.mine]\nsource = "astrology"\nlabel = "x"\n',
        "field 'source'",
    ),
    "basis-ages-a-number": (
        '[catalogue]\nextends = "mhip_2019_24"\n[bases.mine]\nsource = "ons_population"\n'
        'ages = 5\nlabel = "x"\n',
        "field 'ages'",
    ),
    "targets-a-string": (
        AMB.replace(
            'category = "fixed"', 'category = "targeted"\ntargets = "QHM"\ntargets_note = "x"'
        ),
        "field 'targets'",
    ),
    "anchor-a-string": (AMB.replace("basis = ", 'anchor = "2018/19"\nbasis = '), "field 'anchor'"),
    "national-only-a-string": (
        AMB.replace("basis = ", 'national_only = "yes"\nbasis = '),
        "field 'national_only'",
    ),
    "id-a-number": (AMB.replace('id = "PMH-01"', "id = 5"), "field 'id'"),
    "duplicate-id": (AMB + AMB[AMB.index("[[ambition]]") :], "duplicate ambition id"),
}
CASES += [
    Case(f"catalogue-shape-{name}", C, ("c.toml", says), {"c.toml": text})
    for name, (text, says) in SHAPES.items()
]


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> Path:
    """One finished small run, copied into each case's --out."""
    out = tmp_path_factory.mktemp("previous") / "out"
    result = invoke(["run", *SMALL, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_refused_cleanly(case: Case, previous: Path, tmp_path: Path, monkeypatch):
    refused_cleanly(case, previous, tmp_path, monkeypatch, lock_left=case.setup is _lock_is_folder)


def test_the_matrix_is_broad():
    """At least 60 distinct bad inputs and faults, across every file and flag read."""
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 60
    kinds = {i.split("-")[0] for i in ids}
    assert {"values", "weights", "catalogue", "config", "out", "flag", "raw", "ref"} <= kinds


#: Inputs that look odd but follow a documented rule (docs/inputs.md, "Numbers in your files"):
#: each must run, and give the figure the rule says.
ACCEPTED = [
    ("thousands-separators", VALUES_HEAD + 'PMH-01,2023/24,"66,000"\n', 66000),
    ("exponent", VALUES_HEAD + "PMH-01,2023/24,6.6e4\n", 66000),
    (
        "crlf-and-bom",
        "\ufeff" + (VALUES_HEAD + "PMH-01,2023/24,66000\n").replace("\n", "\r\n"),
        66000,
    ),
    ("trailing-empty-cells", "ambition_id,year,value,,\nPMH-01,2023/24,66000,,\n\n", 66000),
    ("spaces-around-cells", " ambition_id , year , value \n PMH-01 , 2023/24 , 66000 \n", 66000),
]


@pytest.mark.parametrize("body,want", [a[1:] for a in ACCEPTED], ids=[a[0] for a in ACCEPTED])
def test_documented_odd_inputs_are_read_by_the_rule(body, want, tmp_path):
    from mhtool.catalogue.load import apply_overrides, load_catalogue

    (tmp_path / "v.csv").write_text(body, encoding="utf-8", newline="")
    cat = apply_overrides(load_catalogue(), tmp_path / "v.csv")
    assert cat.get("PMH-01").value("2023/24").value == want


def test_a_new_run_keeps_the_folders_permissions(previous, tmp_path):
    """The swap must not turn a 755 folder into mkdtemp's 700 (nor a 750 one into 755)."""
    for mode in (0o755, 0o750):
        out = tmp_path / f"out{mode:o}"
        copy_run(previous, out, mode=mode)
        result = invoke(["run", *SMALL, "--population-year", "2019", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_mode & 0o777 == mode
    fresh = tmp_path / "fresh"
    assert invoke(["run", *SMALL, "--out", str(fresh)]).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o777 & ~umask


def test_debug_shows_the_traceback_of_a_bad_input(tmp_path):
    (tmp_path / "v.csv").write_text(VALUES_HEAD + 'PMH-01,2023/24,"1,5"\n')
    args = ["run", *SMALL, "--out", str(tmp_path / "out"), "--values", str(tmp_path / "v.csv")]
    plain, debug = invoke(args), invoke(["--debug", *args])
    assert plain.exit_code == debug.exit_code == 2
    assert "Traceback" not in plain.stderr and "Traceback" in debug.stderr
    assert "row 2" in debug.stderr.splitlines()[-1]


def test_a_big_values_file_is_refused_at_its_first_bad_row(tmp_path):
    """The reader streams and stops at the first error: a duplicate on row 3 is reported
    even though the file goes on for megabytes and is not even UTF-8 further down (a
    reader that took the file whole would report the bad bytes, or run out of memory)."""
    row = "PMH-01,2023/24,66000\n"
    with open(tmp_path / "v.csv", "wb") as fh:
        fh.write((VALUES_HEAD + row + row).encode())
        fh.write(b"PMH-02,2023/24,\xff\xfe\n" * 200_000)  # ~4 MB that no UTF-8 reader accepts
    result = invoke(
        ["run", *SMALL, "--out", str(tmp_path / "out"), "--values", str(tmp_path / "v.csv")]
    )
    assert_refused(result, 2, ("v.csv", "row 3", "field 'year'", "given twice"))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "args,says",
    [
        (["--values", "{d}/v.csv"], "field 'value'"),
        (["--out", "/proc/mhtool-out"], "system folder"),
    ],
    ids=["bad-values", "out-under-proc"],
)
def test_a_real_process_exits_2_without_a_traceback(tmp_path, args, says):
    """The same refusals from a real process: its exit status, and stderr as a terminal
    or a scheduler's log would show it."""
    import subprocess
    import sys

    (tmp_path / "v.csv").write_text(VALUES_HEAD + 'PMH-01,2023/24,"1,5"\n')
    argv = [fill(a, tmp_path, tmp_path / "out") for a in args]
    cmd = [sys.executable, "-m", "mhtool", "run", *SMALL, "--out", str(tmp_path / "out"), *argv]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and says in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.csv"]
