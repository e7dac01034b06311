"""What each sheet and CSV shows: activity only on the category sheets, shares of England
that are shares of England, planning references never made up, one measure-type rule,
accurate notes, and tables that stay readable when scrolled or printed."""

from __future__ import annotations

import openpyxl
import polars as pl
import pytest
from fixtures.sample import SAMPLE_META, sample_spine

from mhtool import vocab
from mhtool.outputs import write_outputs
from mhtool.outputs.batch import workbook_title
from mhtool.outputs.views import categories, planpage
from mhtool.outputs.views import scope as scopes
from mhtool.outputs.views.layout import TABLES, org_label, short_name, short_title
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.views.scope import Scope
from mhtool.outputs.views.sheets import workbook_tables
from mhtool.outputs.views.tables import prepare, shares_table
from mhtool.planning.template import measure_type
from mhtool.spine import ADDED_COLUMNS, basis_label, read_spine

DESCRIPTION_MAX = 120


@pytest.fixture(scope="module")
def england(tmp_path_factory):
    out = tmp_path_factory.mktemp("views")
    write_outputs(
        sample_spine(),
        out,
        SAMPLE_META.with_notes(
            [
                "PMH-02 2019/20 (inferred): carried forward from 2018/19.",
                "CYP-01 2020/21 (interpolated): between the 2019/20 and 2023/24 figures.",
            ]
        ),
        system="QA0",
        progress=False,
    )
    write_outputs(sample_spine(), out / "region", SAMPLE_META, region="Y56", progress=False)
    return out


def _rows(ws):
    header = [c.value for c in ws[3]]
    return [dict(zip(header, r, strict=False)) for r in ws.iter_rows(min_row=4, values_only=True)]


def test_category_sheets_hold_every_ask_of_their_category(england):
    """Fixed, Flexible and Targeted are always there, each with every ask of its category
    whatever it counts (people, £, staff, standards), in its ambition's rows only: the
    organisation's own row of each ask first, in the Plan's order, and only those print
    (with the columns up to the unit); then each ask's parts and the levels above."""
    spine = sample_spine()
    order = prepare(spine).select("ambition_id", "_po").unique().sort("_po")["ambition_id"]
    for rel, code in (("region/regions/Y56.xlsx", "Y56"), ("systems/QA0.xlsx", "QA0")):
        wb = openpyxl.load_workbook(england / rel)
        for category in vocab.CATEGORIES:
            ws = wb[category.capitalize()]
            rows = _rows(ws)
            want = spine.filter(pl.col("category") == category)
            assert {r["Ambition ID"] for r in rows} == set(want.get_column("ambition_id")), rel
            measures = set(want.get_column("measure"))
            assert len(measures) > 1 or category == "targeted"  # not activity alone
            asks = [a for a in order if a in set(want.get_column("ambition_id"))]
            own, context = rows[: len(asks)], rows[len(asks) :]
            assert [r["Ambition ID"] for r in own] == asks, rel  # one own row each, in order
            unit = [c.value for c in ws[3]].index("Unit") + 1
            last = openpyxl.utils.get_column_letter(unit)
            assert ws.print_area == f"'{ws.title}'!$A$1:${last}${3 + len(asks)}", rel
            assert [c.value for c in ws[3]][unit:] == [
                "How each figure was made [note 3] [note 4]",
                "Source",
            ]
            name = want.filter(pl.col("org_code") == code)["org_name"][0]
            short = short_name(name, code)
            for r in context:  # parts and levels above: the short title, then as for its own
                said = f"as for {short_name(name, code, with_code=False)}"
                assert r["Organisation"] != short and r["Unit"] == r["Source"] == said
                assert r["Ambition"] == short_title(
                    want.filter(pl.col("ambition_id") == r["Ambition ID"])["title"][0]
                )
            assert [asks.index(r["Ambition ID"]) for r in context] == sorted(
                asks.index(r["Ambition ID"]) for r in context
            )
            for r in own:
                aid = r["Ambition ID"]
                line = want.filter(pl.col("ambition_id") == aid)
                if line.get_column("kind")[0] in vocab.CARRIED_KINDS:
                    assert r["Organisation"] == categories.EVERY_ORG, (rel, aid)
                    continue
                if line.get_column("split_method")[0] == vocab.NATIONAL_ONLY:
                    assert r["Organisation"] == "England", (rel, aid)
                    continue
                mine = line.filter(pl.col("org_code") == code, pl.col("year") == "2023/24")
                assert r["Organisation"] == short, (rel, aid)  # its own organisation first
                assert r["2023/24"] == pytest.approx(mine.get_column("value")[0]), (rel, aid)
                assert r["Source"] == f"https://example.org/source/{int(aid[1:])}; " + (
                    categories.SEED_WORDS
                )


def test_a_standard_is_one_level_and_a_targeted_ask_says_who_is_selected():
    df = prepare(sample_spine())
    rows = scopes.rows(df, Scope("icb", "QA0"))
    flexible = categories.category_sheet(rows, "flexible", SAMPLE_META).frame
    rate = flexible.filter(pl.col("ambition_id") == "A04")  # a flexible rate: a standard
    assert rate.height == 1 and rate.get_column("org")[0] == categories.EVERY_ORG
    national = df.filter(pl.col("ambition_id") == "A04", pl.col("level") == "england")
    assert (
        rate.get_column("v2023/24")[0]
        == national.filter(pl.col("year") == "2023/24").get_column("national_value")[0]
    )
    assert "the system's to agree" in rate.get_column("asks")[0]
    staff = flexible.filter(pl.col("ambition_id") == "A05")
    assert staff.get_column("org_code").to_list()[0] == "QA0"  # the system first
    assert staff.get_column("org_code").to_list()[-2:] == ["Y56", "ENG"]  # then above
    parts = staff.get_column("org_code").to_list()[1:-2]
    assert len(parts) > 1  # a system of several parts
    assert set(parts) == set(rows.filter(pl.col("parent_code") == "QA0").get_column("org_code"))
    assert "the phasing the system's to agree" in staff.get_column("asks")[0]
    # the system's own rows, one per ask in the Plan's order, come first and print
    codes = flexible.get_column("org_code").to_list()
    asks = flexible.get_column("ambition_id").to_list()
    own = len(set(asks))
    plan = rows.filter(pl.col("category") == "flexible").sort("_po")["ambition_id"]
    plan = plan.unique(maintain_order=True).to_list()
    assert asks[:own] == plan
    assert codes[:own] == ["ENG" if a == "A04" else "QA0" for a in asks[:own]]  # A04: a rate
    in_order = [plan.index(a) for a in asks[own:]]
    assert "QA0" not in codes[own:] and in_order == sorted(in_order)
    table = categories.category_sheet(rows, "flexible", SAMPLE_META)
    assert table.print_area == (own, [c.key for c in table.columns].index("unit") + 1)
    # an ask's words are said whole on its own row; its context rows below the printed
    # block give its short title and say their unit, how and source are as for QA0's
    title = staff.get_column("title")[0]
    assert set(staff.get_column("title").to_list()[1:]) == {planpage.short_title(title)} != {title}
    for key in ("unit", "how", "source"):
        said = staff.get_column(key).to_list()
        assert said[0] != "as for QA0" and set(said[1:]) == {"as for QA0"}, key
    targeted = categories.category_sheet(rows, "targeted", SAMPLE_META).frame
    held = targeted.filter(pl.col("ambition_id") == "A07")  # targeted, national only
    assert held.height == 1 and held.get_column("org_code")[0] == "ENG"
    words = held.get_column("asks")[0]
    assert categories.NOT_SHARED in words and "QA0 may or may not be one" in words
    england = categories.category_sheet(df, "targeted", SAMPLE_META).frame
    assert "may or may not" not in england.filter(pl.col("ambition_id") == "A07")["asks"][0]
    assert words.count("in England") == 1
    # a unit that names England already is not told "in England" twice
    named = rows.with_columns(
        pl.when(pl.col("ambition_id") == "A07")
        .then(pl.lit("teams in operation in England"))
        .otherwise(pl.col("unit"))
        .alias("unit")
    )
    said = categories.category_sheet(named, "targeted", SAMPLE_META).frame
    words = said.filter(pl.col("ambition_id") == "A07").get_column("asks")[0]
    assert "in England in England" not in words and words.count("in England") == 1


def test_the_plan_page_puts_each_ask_in_its_programme_and_category_with_its_figure():
    df = prepare(sample_spine())
    rows = scopes.rows(df, Scope("icb", "QA0"))
    table = planpage.plan_table(rows, SAMPLE_META)
    assert table.sheet == "Plan" and table.title == "What the Plan asks of QA0"
    cells = {r["programme"]: r for r in table.frame.iter_rows(named=True)}
    activity = df.filter(pl.col("measure") == "activity")
    assert list(cells) == list(dict.fromkeys(activity.sort("_po")["programme"]))
    for (aid, programme, category), line in activity.group_by(
        "ambition_id", "programme", "category"
    ):
        cell = cells[programme][category] or ""
        ask = next(a for a in cell.split("\n") if a.startswith(f"{aid} "))
        own = line.filter(pl.col("org_code") == "QA0", pl.col("year") == "2023/24")
        if line["split_method"][0] == vocab.NATIONAL_ONLY:
            assert "nationally" in ask, ask
        elif line["kind"][0] in vocab.CARRIED_KINDS:
            # the round's last year is named once, in the description, not in each ask
            assert ask.endswith(f": {own['value'][0]:g}%"), ask
        else:
            assert f"{own['value'][0]:,.0f}" in ask and f"{own['share'][0]:.1%} of England" in ask
    assert "figures for 2023/24 unless a year is shown" in table.description
    # money and staff are on their own sheets; a programme with no ask of a category: [z]
    assert not any("A02 " in (r[c] or "") for r in cells.values() for c in vocab.CATEGORIES)
    sheets = [t.sheet for t in workbook_tables(rows, SAMPLE_META)]
    assert sheets[:2] == ["Plan", "Summary"]


def test_the_plan_page_says_an_ask_in_the_catalogues_few_words():
    """A catalogue's short_title replaces the title cut short, and then a count is told by
    its figure alone ('a year' for a unit per year): the short title says who is counted;
    a figure for an earlier year keeps its year."""
    df = prepare(sample_spine())
    rows = scopes.rows(df, Scope("icb", "QA0"))
    plain = planpage.plan_table(rows, SAMPLE_META).frame
    short = {"A01": "Few words", "A04": "Rate words"}
    named = planpage.plan_table(rows, SAMPLE_META.replaced(short_titles=short)).frame
    asks = {
        a.split(" ", 1)[0]: a
        for frame in (named,)
        for c in vocab.CATEGORIES
        for cell in frame.get_column(c).drop_nulls().to_list()
        for a in cell.split("\n")
    }
    assert asks["A01"].startswith("A01 Few words: ") and asks["A04"].startswith("A04 Rate words:")
    before = next(
        a
        for cell in plain.get_column("fixed").drop_nulls()
        for a in cell.split("\n")
        if a.startswith("A01 ")
    )
    assert before.split(": ", 1)[1] != asks["A01"].split(": ", 1)[1]  # the unit's words go
    figure = asks["A01"].split(": ", 1)[1]
    assert figure.split(" (")[0].replace(",", "").split()[0].isdigit(), figure
    # an ask whose last figure is before the round's last year keeps its year
    early = rows.filter(~((pl.col("ambition_id") == "A01") & (pl.col("year") == "2023/24")))
    kept = planpage.plan_table(early, SAMPLE_META.replaced(short_titles=short)).frame
    cell = next(c for c in kept.get_column("fixed").drop_nulls() if "A01 " in c)
    assert " in 2022/23" in cell, cell


def test_a_category_sheet_without_asks_is_still_there_and_says_so():
    df = prepare(sample_spine().filter(pl.col("category") != "targeted"))
    sheets = {
        t.sheet: t for t in workbook_tables(scopes.rows(df, Scope("icb", "QA0")), SAMPLE_META)
    }
    assert {"Fixed", "Flexible", "Targeted"} <= set(sheets)
    assert sheets["Targeted"].frame.get_column("title").to_list() == [
        "The catalogue has no targeted ask"
    ]


@pytest.mark.parametrize(
    "kind, unit, want",
    [
        ("rate", "%", "Percentage"),
        ("rate", "percent of liaison services", "Percentage"),
        ("rate", "Percent", "Percentage"),
        ("rate", "days (average length of stay)", "Value"),
        ("rate", None, "Value"),
        ("count", "people", "Count"),
        ("count", "GBP", "Count"),
        ("count", "WTE", "Count"),
        ("sites", "clinics", "Count"),
        ("count", "people (% of need met)", "Count"),
    ],
)
def test_measure_type_is_percentage_only_for_percentages(kind, unit, want):
    unit_kind = vocab.unit_kind(unit, kind, "activity")
    df = pl.DataFrame({"kind": [kind], "unit": [unit], "unit_kind": [unit_kind]})
    assert df.select(measure_type()).item() == want


def test_data_sheet_measure_types_follow_the_unit(tmp_path):
    spine = sample_spine().with_columns(
        unit=pl.when(pl.col("ambition_id") == "A04").then(pl.lit("days")).otherwise(pl.col("unit")),
        unit_kind=pl.when(pl.col("ambition_id") == "A04")
        .then(pl.lit("days"))
        .otherwise(pl.col("unit_kind")),
    )
    write_outputs(spine, tmp_path, SAMPLE_META, system="QA0", progress=False)
    data = _rows(openpyxl.load_workbook(tmp_path / "systems/QA0.xlsx")["Data"])
    key = next(k for k in data[0] if k.startswith("Measure type"))
    by_metric = {r["Metric code (ambition ID)"]: r[key] for r in data}
    assert by_metric["A04"] == "Value" and by_metric["A01"] == "Count"


def _share(table, org, basis):
    row = table.frame.filter(pl.col("org_code") == org, pl.col("basis") == basis)
    assert row.height == 1, (org, basis)
    return row.get_column("share").item()


@pytest.mark.parametrize("labelled", [True, False])
def test_shares_of_england_never_take_a_targeted_share(labelled, tmp_path):
    """A06 (targeted, smi_register, split among QA1 only), renamed A00 to sort first, and
    A03 (flexible, smi_register): the share of England under smi_register must be A03's,
    and A00's within-target shares appear under a label of their own. An older spine
    (no split_method, a plain label) is read back labelled as the engine labels it."""
    spine = sample_spine(targeted_systems=["QA1"], label_targets=labelled).with_columns(
        ambition_id=pl.col("ambition_id").replace({"A06": "A00"})
    )
    if not labelled:
        spine.drop(ADDED_COLUMNS).write_parquet(tmp_path / "older.parquet")
        spine = read_spine(tmp_path / "older.parquet")
    df = prepare(spine)
    table = shares_table(df)
    a03 = df.filter(pl.col("ambition_id") == "A03", pl.col("year") == "2023/24")
    a06 = df.filter(pl.col("ambition_id") == "A00", pl.col("year") == "2023/24")
    share = dict(a03.select("org_code", "share").iter_rows())
    within = dict(a06.select("org_code", "share").iter_rows())
    assert within["01B"] != pytest.approx(share["01B"])
    for org in ("01B", "QA1", "01A", "Y56"):
        assert _share(table, org, "smi_register") == pytest.approx(share[org])
    label = "smi_register (targeted: QA1)"
    assert set(a06.get_column("basis")) == {label}
    assert _share(table, "01B", label) == pytest.approx(within["01B"])
    # organisations outside the named systems have no share under the targeted label
    assert table.frame.filter(pl.col("basis") == label, pl.col("org_code") == "01A").is_empty()
    # every workbook labels it the same, whichever slice it shows
    for scope in (Scope("icb", "QA0"), Scope("icb", "QA1"), Scope("england", "ENG")):
        targeted = next(t for t in workbook_tables(scopes.rows(df, scope)) if t.sheet == "Targeted")
        assert label in set(targeted.frame.get_column("basis"))


def test_a_targeted_ambition_shared_among_every_system_keeps_its_basis():
    df = prepare(sample_spine())  # the sample's targeted counts cover every ICB
    assert set(df.filter(pl.col("ambition_id") == "A06").get_column("basis")) == {"smi_register"}


def test_notes_are_accurate_and_the_runs_own_notes_follow(england):
    wb = openpyxl.load_workbook(england / "systems/QA0.xlsx")
    notes = {r["Note number"]: r["Note text"] for r in _rows(wb["Notes"])}
    assert list(notes) == [f"note {i}" for i in range(1, len(notes) + 1)]
    # the run's notes are about ambitions this workbook does not show, so they are left out
    assert not any("PMH-02" in t or "CYP-01" in t for t in notes.values())

    def note(words):
        return next(t for t in notes.values() if words in t)

    provenance = note("cited source")
    for words in (
        "cited source",
        "secondary",
        "annex tables were not reachable",
        "maintained",
        "total less its parts",
        "zero",
        "indicative",
        "--values",
    ):
        assert words in provenance, words
    assert "given in the plan" not in provenance
    national = note("National-only lines")
    assert "Some targeted ambitions are national only" not in national
    assert "any category" in national and "In this workbook: A07." in national
    assert note("'Value' is mhtool's own")
    cover = " ".join(c.value for c in wb["Cover"]["A"] if c.value)
    for words in (
        "inferred or approximate",
        "indicative",
        "never add a total line to its parts",
        "release date of the newest reference data",
    ):
        assert words in cover, words


def test_titles_do_not_repeat_a_code_the_name_already_has():
    assert (
        org_label("NHS North East and North Cumbria ICB - 00L", "00L")
        == "NHS North East and North Cumbria ICB - 00L"
    )
    assert org_label("NHS Surrey Heartlands ICB", "QXU") == "NHS Surrey Heartlands ICB (QXU)"
    spine = sample_spine().with_columns(
        org_name=pl.when(pl.col("org_code") == "01B")
        .then(pl.lit("NHS QA1 ICB - 01B"))
        .otherwise(pl.col("org_name"))
    )
    title = workbook_title(spine, Scope("subicb", "01B"))
    assert title.endswith(": NHS QA1 ICB - 01B") and "(01B)" not in title
    assert workbook_title(spine, Scope("icb", "QA1")).endswith(
        "NHS QA1 Integrated Care Board (QA1)"
    )


def test_table_sheets_print_a4_landscape_one_page_wide_with_their_header(england):
    wb = openpyxl.load_workbook(england / "systems/QA0.xlsx")
    for ws in wb.worksheets[1:]:  # the Cover's column is wide enough for its own line
        assert len(ws["A2"].value) <= DESCRIPTION_MAX, (ws.title, ws["A2"].value)
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0, ws.title
        assert not (ws.oddHeader.left.text or ws.oddHeader.center.text or ws.oddHeader.right.text)
        assert not (ws.oddFooter.left.text or ws.oddFooter.center.text or ws.oddFooter.right.text)
        # the Shares and Data sheets print their heading only, the category sheets QA0's
        # own rows up to their Unit column, Funding and Workforce its own rows (the first,
        # before its sub-ICB locations); every other sheet whole
        heading = {"Data": "'Data'!$A$1:$I$3", "Shares": "'Shares'!$A$1:$D$3"}
        own = {"Fixed": 2, "Flexible": 3, "Targeted": 3}  # one row per ask (tested above)
        if ws.title in own:
            heading[ws.title] = f"'{ws.title}'!$A$1:$J${3 + own[ws.title]}"
        if ws.title in ("Funding", "Workforce"):
            first = [ws.cell(r, 1).value for r in range(4, ws.max_row + 1)].count(ws["A4"].value)
            heading[ws.title] = f"'{ws.title}'!$A$1:$J${3 + first}"
        want = heading.get(ws.title, "")
        assert ws.print_area == want, ws.title
        if ws.title in TABLES:
            assert ws.freeze_panes is None, ws.title  # narrow tables need no frozen panes
            assert ws.print_title_rows == "$3:$3", ws.title
            assert not next(iter(ws.tables.values())).autoFilter, ws.title


def test_bases_are_described_whatever_the_label():
    from mhtool.outputs.views.notes import notes

    targeted = basis_label("mh_need", targets=["QOX", "QHM"])
    total = basis_label("mh_need", parts=["FUN-02", "FUN-07"])
    text = notes(
        [
            (targeted, "mh_need", vocab.TARGETED),
            (total, "mh_need", vocab.SUM_OF_PARTS),
            ("other", "other", vocab.BY_BASIS),
        ],
        WorkbookMeta(bases={"mh_need": "Need-weighted population."}),
    )[1]
    assert (
        "mh_need (targeted: QHM, QOX): Need-weighted population, shared only among the "
        "systems named" in text
    )
    assert "sum of FUN-02 + FUN-07: below England each organisation's figure is the sum" in text
    assert "other: no description supplied" in text


def test_every_line_has_a_sheet_with_its_names(tmp_path):
    """A funding rate (say, growth in percent) is on Funding, not lost between sheets."""
    spine = sample_spine().with_columns(
        measure=pl.when(pl.col("ambition_id") == "A04")
        .then(pl.lit("funding"))
        .otherwise(pl.col("measure"))
    )
    shown = set()
    for t in workbook_tables(prepare(spine)):
        if t.sheet not in ("Data", "Shares", "Notes", "Plan"):  # Plan: by programme
            shown |= set(t.frame.get_column("ambition_id"))
    assert shown == {f"A0{i}" for i in range(1, 9)}


def test_a_line_split_differently_by_year_keeps_one_row_per_organisation():
    """A pilot year reported for England only changes split_method for that year only."""
    spine = sample_spine().with_columns(
        split_method=pl.when((pl.col("ambition_id") == "A01") & (pl.col("year") == "2019/20"))
        .then(pl.lit(vocab.NATIONAL_ONLY))
        .otherwise(pl.col("split_method"))
    )
    fixed = next(t for t in workbook_tables(prepare(spine)) if t.sheet == "Fixed")
    rows = fixed.frame.filter(pl.col("ambition_id") == "A01")
    assert rows.height == rows.select("org_code").n_unique() > 1


@pytest.mark.parametrize(
    ("catalogue", "called"),
    [
        ("mhip_2019_24", "the Plan"),
        ("mhip_2019_24_geo2026", "the Plan"),
        ("mtpf_2026_29", "the Medium Term Planning Framework"),
        ("planning_2025_26", "the 2025/26 priorities and operational planning guidance"),
    ],
)
def test_each_round_is_called_by_its_own_name_on_the_plan_page_cover_and_summary(catalogue, called):
    """The shipped catalogues' titles name their rounds: a newer round's workbooks never
    say 'the Plan' for it."""
    from mhtool.catalogue.load import load_catalogue
    from mhtool.outputs.views import notes
    from mhtool.outputs.views.summary import summary_table

    meta = SAMPLE_META.replaced(catalogue_title=load_catalogue(catalogue).title)
    assert meta.round_name == called
    rows = scopes.rows(prepare(sample_spine()), Scope("icb", "QA0"))
    page = planpage.plan_table(rows, meta)
    assert page.title == f"What {called} asks of QA0"
    assert "the Plan" not in page.description  # the title names the round
    how = dict(notes.cover("title", meta, "QA0"))["How to use it"]
    assert f"what {called} asks of QA0" in how and f"every ask of {called} in" in how
    assert f"in {called}'s order" in summary_table(rows, meta).description
    from mhtool.outputs.selector import write as selector

    sel = selector.build(prepare(sample_spine()), meta, None)
    title = selector.formulas(sel)[selector.SELECTOR][selector.PLAN_TOP, 0]
    assert title.startswith(f'="What {called} asks of "')  # the picked organisation's page
    assert selector.plan_table(sel).title == f"What {called} asks of each organisation, in words"
    if called != "the Plan":
        assert "the Plan asks" not in how + page.title + title
        assert "the Plan's" not in page.description + summary_table(rows, meta).description


def test_a_line_held_for_england_alone_is_explained_to_a_system():
    spine = sample_spine().filter((pl.col("ambition_id") != "A01") | (pl.col("level") == "england"))
    spine = spine.with_columns(
        split_method=pl.when(pl.col("ambition_id") == "A01")
        .then(pl.lit(vocab.NATIONAL_ONLY))
        .otherwise(pl.col("split_method"))
    )
    rows = scopes.rows(prepare(spine), Scope("icb", "QA0"))
    category = spine.filter(pl.col("ambition_id") == "A01").get_column("category")[0]
    sheet = categories.category_sheet(rows, category, SAMPLE_META).frame
    held = sheet.filter(pl.col("ambition_id") == "A01")
    assert held.get_column("org_code").to_list() == ["ENG"]  # no figure of QA0's own
    assert "reported for England only, not shared out" in held.get_column("asks")[0]


def test_a_range_is_worded_with_both_ends_and_rates_keep_their_decimals():
    spine = sample_spine()
    ranged = spine.with_columns(
        value_high=pl.when(pl.col("ambition_id") == "A04")
        .then(pl.col("value") + 5)
        .otherwise(pl.col("value_high"))
    )
    rows = scopes.rows(prepare(ranged), Scope("icb", "QA0"))
    rate = categories.category_sheet(rows, "flexible", SAMPLE_META).frame.filter(
        pl.col("ambition_id") == "A04"
    )
    low = rate.get_column("v2023/24")[0]
    assert f"{low:.1f}–{low + 5:.1f}%" in rate.get_column("asks")[0]  # never its lower end alone
    assert rate.get_column("_fmt")[0] == "percent"  # one decimal, 95.0 and 8.6 alike


def test_a_name_ending_in_s_takes_the_apostrophe_alone():
    from mhtool.outputs.views.layout import possessive

    assert possessive("Midlands") == "Midlands'" and possessive("Kent and Medway") == (
        "Kent and Medway's"
    )
    spine = sample_spine().with_columns(
        org_name=pl.when(pl.col("org_code") == "QA0")
        .then(pl.lit("Ayton Hills"))
        .otherwise(pl.col("org_name"))
    )
    rows = scopes.rows(prepare(spine), Scope("icb", "QA0"))
    from mhtool.outputs.views.summary import summary_table

    words = summary_table(rows, SAMPLE_META).title + planpage.plan_table(rows).description
    assert "Ayton Hills' " in words and "Hills's" not in words
