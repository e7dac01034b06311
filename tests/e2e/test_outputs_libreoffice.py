"""A system workbook opens cleanly in LibreOffice as well as openpyxl (where soffice exists)."""

from __future__ import annotations

import shutil
import subprocess

import openpyxl
import pytest
from click.testing import CliRunner

from mhtool.cli import main

SOFFICE = shutil.which("soffice")


@pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed; "
    "apt-get install libreoffice-calc-nogui to run this check",
)
def test_system_workbook_converts_to_pdf_in_libreoffice(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "--system", "QHM", "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = out / "systems" / "QHM.xlsx"
    assert openpyxl.load_workbook(book, read_only=True).sheetnames[0] == "Cover"
    done = subprocess.run(
        [
            SOFFICE,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(book),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = tmp_path / "QHM.pdf"
    assert done.returncode == 0, done.stderr
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 10_000
