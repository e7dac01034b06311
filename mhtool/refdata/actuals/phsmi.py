"""SMI physical health checks (NHS England's quarterly collection) by sub-ICB, per geography.

The raw workbook holds, per quarter and CCG / sub-ICB location, the people with all six
checks in the 12 months to the quarter's end (`All6PHC`) and the SMI register
(`SMIRegister`). An empty answer was not published and stays missing. Each quarter uses the
codes of its day: 2021/22 onwards the 2022 sub-ICB codes (carried as published onto geography
2022); 2020/21 the CCGs of April 2020 and 2019/20 those of April 2019, which sit in the QOF
practice maps of 2019/20 and 2018/19: those are moved through their practices, split where
their practices went to more than one sub-ICB by the practices' SMI register. Geography 2026
is reached from 2022 through the LSOA crosswalk (split by mid-2020 population). 2018/19's
quarters are not shipped: six of its CCG codes merged in April 2019 and no practice map of
theirs is among the raw files.
"""

from __future__ import annotations

import io
import re

import polars as pl

from mhtool.errors import InputError
from mhtool.refdata import qof
from mhtool.refdata.actuals import move
from mhtool.refdata.geography import Geographies
from mhtool.refdata.raw import RawDir, reconcile

RAW = "phsmi/physical_health_checks_smi_raw_2018q3_2024q4.xlsx"
SHEET = "Sheet 1 - Physical-Health-Check"
HEADER = ["Period", "CCG Code", "Question", "Answer"]
MEASURES = {"All6PHC": "all_six_checks", "SMIRegister": "smi_register"}
FIRST_YEAR = "2019/20"
#: financial year of a quarter -> the QOF year whose practice map holds that quarter's codes
CODE_MAPS = {"2019/20": "2018/19", "2020/21": "2019/20"}
#: national sums made when the file was copied (PROVENANCE.md): the build must find them
CHECKED = [
    ("Q4 2023/24", "all_six_checks", 361_210),
    ("Q4 2023/24", "smi_register", 527_556),
    ("Q4 2022/23", "all_six_checks", 313_022),
    ("Q4 2022/23", "smi_register", 535_204),
]
PERIOD = re.compile(r"^SMI-Q([1-4])-(\d{4})-(\d{4})$")


def read(raw: RawDir) -> pl.DataFrame:
    """The raw workbook's rows: year, period, org_code, measure, value (missing if blank)."""
    from python_calamine import CalamineWorkbook

    data = raw.path(RAW).read_bytes()
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = book.get_sheet_by_name(SHEET).to_python()
    except Exception as exc:  # calamine's errors have no common base
        raise InputError(
            f"not a readable workbook with sheet {SHEET!r} ({exc})", file=RAW
        ) from None
    move.record(raw, RAW, max(len(rows) - 2, 0))
    if len(rows) < 3 or [str(c).strip() for c in rows[1][:4]] != HEADER:
        raise InputError(f"row 2 must be the header {HEADER}", file=RAW, row=2)
    out = []
    for n, r in enumerate(rows[2:], start=3):
        period, code, question, answer = (r + ["", "", "", ""])[:4]
        m = PERIOD.match(str(period).strip())
        if not m or int(m[3]) != int(m[2]) + 1:
            raise InputError(f"period {period!r} is not like SMI-Q4-2023-2024", file=RAW, row=n)
        if question not in MEASURES:
            continue
        if answer == "" or answer is None:
            value = None
        elif isinstance(answer, float) and answer >= 0 and answer == int(answer):
            value = int(answer)
        else:
            raise InputError(
                f"not a non-negative whole number: {answer!r}", file=RAW, row=n, field="Answer"
            )
        year = f"{m[2]}/{m[3][2:]}"
        out.append((year, f"Q{m[1]} {year}", str(code).strip(), MEASURES[question], value))
    df = pl.DataFrame(
        out,
        schema={
            "year": pl.String,
            "period": pl.String,
            "org_code": pl.String,
            "measure": pl.String,
            "value": pl.Int64,
        },
        orient="row",
    )
    dup = df.filter(pl.struct("period", "org_code", "measure").is_duplicated())
    if dup.height:
        r = dup.row(0, named=True)
        raise InputError(f"{r['org_code']} {r['period']} {r['measure']} twice", file=RAW)
    return df


def build(raw: RawDir, geo: Geographies, crosswalks: dict[str, pl.DataFrame]) -> tuple:
    """The checks table for geographies 2022 and 2026, its notes and routes for sources.json."""
    df = read(raw)
    for period, measure, total in CHECKED:
        got = df.filter((pl.col("period") == period) & (pl.col("measure") == measure))
        reconcile(got["value"].sum(), total, RAW, f"{measure} {period}", tol=0)
    df = df.filter(pl.col("year") >= FIRST_YEAR)
    df = df.with_columns(
        pl.lit("2022").alias("geography"),
        pl.lit("subicb").alias("level"),
        pl.lit(move.AS_PUBLISHED).alias("route"),
    )
    notes, frames = [], []
    for year, qof_year in CODE_MAPS.items():
        flows, lost = move.practice_flows(raw, geo, qof_year, "register")
        moved, unmapped = move.onto(
            df.filter(pl.col("year") == year), flows, f"the QOF {qof_year} SMI register"
        )
        _refuse(unmapped, year, f"the QOF {qof_year} practice map")
        frames.append(moved)
        notes.append(
            f"{year} quarters: CCG codes moved to 2022 sub-ICBs through the QOF {qof_year} "
            f"practice map ({lost} on the SMI register at practices with no 2022 sub-ICB)"
        )
    later = df.filter(pl.col("year") > max(CODE_MAPS))
    _refuse(sorted(set(later["org_code"]) - set(geo.trees["2022"]["subicb_code"])), "", "2022")
    frames.append(later)
    g22 = pl.concat(frames)
    flows = crosswalks["2026"].select(
        pl.col("from_subicb_code").alias("from_code"),
        pl.col("to_subicb_code").alias("to_code"),
        pl.col("population_mid2020").alias("weight"),
    )
    g26, unmapped = move.onto(
        g22.with_columns(pl.lit("2026").alias("geography")), flows, "mid-2020 population"
    )
    _refuse(unmapped, "", "the 2022 -> 2026 crosswalk")
    notes.append(
        "geography 2026 from the 2022 sub-ICBs through the LSOA crosswalk; split codes "
        "(by mid-2020 population) say so in `route`"
    )
    notes.append("2018/19 quarters not shipped: six CCG codes of 2018 have no practice map")
    notes.append(
        "2021/22 onwards carried as published: 2022's sub-ICBs kept April 2021's CCG codes; "
        "practices that changed sub-ICB in July 2022 (West Birmingham, Bassetlaw, Glossop, "
        "Royston) are counted where the collection placed them"
    )
    for g in (g22, g26):  # moving keeps every total (splits go in whole people)
        for (period, measure), d in df.group_by("period", "measure"):
            if d["value"].null_count() == 0:
                got = g.filter((pl.col("period") == period) & (pl.col("measure") == measure))
                reconcile(got["value"].sum(), d["value"].sum(), RAW, f"{measure} {period}", tol=0)
    table = move.tidy([g22, g26])
    inputs = [RAW] + sorted({qof.YEARS[y][i] for y in CODE_MAPS.values() for i in (0, 3)})
    return table, inputs, notes


def _refuse(codes: list[str], year: str, where: str) -> None:
    if codes:
        raise InputError(
            f"{len(codes)} codes{' of ' + year if year else ''} not found in {where}: "
            + ", ".join(codes[:10]),
            file=RAW,
            field="CCG Code",
        )
