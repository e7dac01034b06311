"""Building from the raw files: byte-identical rebuild, validation errors, all-or-nothing."""

import gzip
import re
from pathlib import Path

import pytest

from mhtool.errors import InputError
from mhtool.infra.paths import default_raw_dir, reference_data_dir
from mhtool.refdata import geography, population, qof
from mhtool.refdata.build import OWNED, build
from mhtool.refdata.raw import RawDir

RAW = default_raw_dir()
pytestmark = [
    pytest.mark.raw,
    pytest.mark.skipif(not RAW.is_dir(), reason=f"raw public files absent at {RAW}"),
]


def built_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for name in OWNED
        for p in ([root / name] if (root / name).is_file() else (root / name).rglob("*"))
        if p.is_file()
    }


def test_rebuild_is_byte_identical_and_keeps_other_files(tmp_path):
    out = tmp_path / "reference_data"
    (out / "catalogues").mkdir(parents=True)
    (out / "catalogues" / "x.toml").write_text("keep")
    (out / "bases.toml").write_text("keep")
    build(RAW, out)
    assert built_files(out) == built_files(reference_data_dir())
    assert (out / "catalogues" / "x.toml").read_text() == "keep"
    assert (out / "bases.toml").read_text() == "keep"
    assert [p.name for p in tmp_path.iterdir()] == ["reference_data"]  # no temp folder left


def broken_raw(tmp_path: Path, rel: str, edit) -> Path:
    """A raw folder of links to the real files, with `rel` replaced by edit(lines)."""
    root = tmp_path / "raw"
    for src in RAW.rglob("*"):
        if src.is_file():
            dst = root / src.relative_to(RAW)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.symlink_to(src)
    target = root / rel
    lines = gzip.decompress(target.read_bytes()).decode().splitlines()
    target.unlink()
    target.write_bytes(gzip.compress(("\n".join(edit(lines)) + "\n").encode(), compresslevel=1))
    return root


def sub(pattern, repl, line_no=None):
    """Edit the header (line_no 0) or the first data line matching `pattern`."""

    def edit(lines):
        for i, line in enumerate(lines):
            if (i == line_no) if line_no is not None else (i > 0 and re.search(pattern, line)):
                lines[i] = re.sub(pattern, repl, line, count=1)
                return lines
        raise AssertionError(pattern)

    return edit


PREV21 = "nhsd_qof/PREVALENCE_2021_v2.csv.gz"
MAP21 = "nhsd_qof/MAPPING_NHS_GEOGRAPHIES_2021.csv.gz"


def qof_2021(raw):
    return qof.read_year(RawDir(raw), "2020/21")


@pytest.mark.parametrize(
    "rel,edit,run,match",
    [
        (
            geography.G21,
            sub("ccg21_code", "ccg_code", 0),
            lambda raw: geography.build_2021(RawDir(raw), geography.Geographies()),
            dict(file=geography.G21, field="ccg21_code", message="missing column"),
        ),
        (
            geography.G21,
            sub(r"E54000050,Stockton", "E54000051,Stockton"),
            lambda raw: geography.build_2021(RawDir(raw), geography.Geographies()),
            dict(
                file=geography.G21,
                field="subicb_ons",
                row="E38000247",
                message="more than one parent",
            ),
        ),
        (
            MAP21,
            lambda lines: lines + [lines[1]],
            qof_2021,
            dict(file=MAP21, field="PRACTICE_CODE", row=6572, message="duplicate key"),
        ),
        (
            PREV21,
            sub(r"^A81001,MH,", "ZZZ999,MH,"),
            qof_2021,
            dict(file=MAP21, field="practice", row="ZZZ999", message="map to nothing"),
        ),
        (
            PREV21,
            sub(r"^(A81001,MH,)\d+", r"\g<1>-5"),
            qof_2021,
            dict(file=PREV21, field="REGISTER", message="non-negative"),
        ),
        (
            PREV21,
            sub(r"^(A81001,MH,)\d+", r"\g<1>lots"),
            qof_2021,
            dict(file=PREV21, field="REGISTER", message="non-negative"),
        ),
        (
            PREV21,
            sub(r"^(A81001,MH,)(\d+)", lambda m: f"{m[1]}{int(m[2]) + 1}"),
            qof_2021,
            dict(file=PREV21, field="REGISTER (group MH)", message="does not reconcile"),
        ),
    ],
)
def test_validation_errors(tmp_path, rel, edit, run, match):
    raw = broken_raw(tmp_path, rel, edit)
    with pytest.raises(InputError) as err:
        run(raw)
    e = err.value
    assert match.pop("message") in e.message
    for k, v in match.items():
        assert getattr(e, k) == v, (k, str(e))


def test_unmapped_lsoa(tmp_path):
    geo = geography.build(RawDir(RAW))
    raw = broken_raw(tmp_path, population.MYE[2020], sub(r"^([^,]*),E01011949,", r"\1,E01999999,"))
    with pytest.raises(InputError, match="LSOAs .* map to nothing: E01999999") as err:
        population.ons_mye(RawDir(raw), geo)
    assert (err.value.file, err.value.row, err.value.field) == (
        population.MYE[2020],
        "E01999999",
        "lsoa",
    )


def test_failed_build_leaves_output_untouched(tmp_path):
    out = tmp_path / "reference_data"
    build(RAW, out)
    before = {str(p): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    raw = broken_raw(tmp_path, geography.G21, sub("ccg21_code", "ccg_code", 0))
    with pytest.raises(InputError, match="missing column"):
        build(raw, out)
    assert {str(p): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw", "reference_data"]
