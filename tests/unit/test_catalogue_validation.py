"""Every bad catalogue is an InputError naming file, ambition and field (exit 2 on the CLI)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fixtures.catalogues import MINI, SECOND, write

from mhtool.catalogue.load import load_catalogue
from mhtool.cli import main
from mhtool.errors import InputError


def test_minimal_catalogue_phases(tmp_path):
    cat = load_catalogue(write(tmp_path, MINI))
    a = cat.get("A-01")
    assert [(v.value, v.provenance) for v in a.values] == [
        (10, "stated"),
        (20, "interpolated"),
        (30, "inferred"),
    ]


BROKEN = [
    ('basis = "mh_need"', 'basis = "nope"', "basis", "unknown basis"),
    ('category = "fixed"', 'category = "fixedish"', "category", "unknown category"),
    ('kind = "count"', 'kind = "volume"', "kind", "unknown kind"),
    ('measure = "activity"', 'measure = "money"', "measure", "unknown measure"),
    ('year = "2021/22"', 'year = "2024/25"', "values[1].year", "not one of the catalogue's years"),
    ("value = 10,", 'value = "ten",', "values[0].value", "not a number"),
    ("value = 10,", "value = 10.5,", "values[0].value", "whole number of 1"),
    ('provenance = "stated"', 'provenance = "guessed"', "values[0].provenance", "provenance"),
    ('provenance = "stated"', 'provenance = "interpolated"', "values[0].provenance", "provenance"),
    ('source = "https://example.org/a"', 'source = "somewhere"', "values[0].source", "source URL"),
    (', note = "derived"', "", "values[1].note", "needs a note"),
    (
        'category = "fixed"',
        'category = "targeted"\ntargets = [1, 2]\ntargets_note = "x"',
        "targets[0]",
        "ODS code",
    ),
    (
        'category = "fixed"',
        'category = "targeted"\ntargets = "QYG"\ntargets_note = "x"',
        "targets",
        "list",
    ),
    ('category = "fixed"', 'category = "targeted"\ntargets = ["QYG"]', "targets_note", "targeted"),
    ('category = "fixed"', 'category = "fixed"\ntargets = ["QYG"]', "targets", "only targeted"),
    ('basis = "mh_need"', 'basis = "mh_need"\nbasiss = "x"', "basiss", "unknown field"),
    ('basis = "mh_need"\n', "", "basis", "needs a basis"),
    (
        'unit = "people"',
        'unit = "people"\nplanning_ref = "E.H.9"',
        "planning_ref_source",
        "justifies",
    ),
    ('unit = "people"', 'unit = "people"\nadditional = "yes"', "additional", "true or false"),
    (
        'unit = "people"',
        'unit = "people"\nshort_title = "far too many words for one line of the Plan page"',
        "short_title",
        "at most 30 characters",
    ),
    ('unit = "people"', 'unit = "people"\ndirection = "down"', "direction", "lower_is_better"),
    ('unit = "people"', 'unit = "people"\nnational_only = true', "basis", "takes no basis"),
    (
        'unit = "people"',
        'unit = "people"\nanchor = { year = "2019/20", value = 0, note = "x", '
        'provenance = "inferred" }',
        "anchor.year",
        "before",
    ),
    ('unit = "people"', 'unit = "people"\npart_of = "Z-99"', "part_of", "unknown ambition"),
    (
        'unit = "people"',
        'unit = "people"\nstatus = "no_national_figure"',
        "status",
        "no_national_figure",
    ),
]


STANDARD = 'kind = "standard"\nunit_kind = "percent"'
COUNT = 'kind = "count"\nmeasure = "activity"\nunit = "people"\nunit_kind = "people"'
BROKEN += [
    # units: declared, and fitting the measure and kind
    ('unit_kind = "people"', 'unit_kind = "gbp"', "unit_kind", "counted in"),
    ('unit_kind = "people"', 'unit_kind = "percent"', "kind", "rate or a standard"),
    ('kind = "count"', 'kind = "sites"', "unit_kind", "sites"),
    # standards: worded for one organisation, never split
    (
        COUNT + '\nbasis = "mh_need"',
        f'{STANDARD}\nmeasure = "activity"\nunit = "percent of England covered"',
        "unit",
        "worded for one",
    ),
    (
        COUNT,
        f'{STANDARD}\nmeasure = "activity"\nunit = "percent of the area covered"',
        "basis",
        "no basis",
    ),
    # pilot years: catalogue years, once, with a reason, on a line that is split
    (
        'unit = "people"',
        'unit = "people"\nnational_years = ["2030/31"]\nnational_years_note = "x"',
        "national_years[0]",
        "not one of",
    ),
    (
        'unit = "people"',
        'unit = "people"\nnational_years = ["2019/20"]',
        "national_years_note",
        "say why",
    ),
    (
        'unit = "people"',
        'unit = "people"\nnational_only = true\nnational_years = ["2019/20"]\n'
        'national_years_note = "x"',
        "national_years",
        "already",
    ),
    # ranges only where nothing is split; approximate figures say the source's words
    ("value = 10,", "value = 10, high = 12,", "values[0].high", "not split"),
    (
        'provenance = "stated"',
        'provenance = "stated", approximate = true',
        "values[0].note",
        "approximate",
    ),
]


@pytest.mark.parametrize("old, new, field, words", BROKEN)
def test_broken_ambition(tmp_path, old, new, field, words):
    assert old in MINI
    path = write(tmp_path, MINI.replace(old, new, 1))
    with pytest.raises(InputError) as err:
        load_catalogue(path)
    e = err.value
    assert (e.file, e.row, e.field) == (str(path), "ambition A-01", field), str(e)
    assert words in e.message, e.message


def test_counts_are_filled_in_whole_steps(tmp_path):
    """Filled counts are whole units of their measure (people, pounds, 0.1 WTE); rates are
    not rounded."""
    text = MINI.replace("value = 30,", "value = 31,")
    assert [v.value for v in load_catalogue(write(tmp_path, text)).get("A-01").values] == [
        10,
        21,
        31,
    ]
    wte = text.replace('measure = "activity"', 'measure = "workforce"')
    wte = wte.replace('unit_kind = "people"', 'unit_kind = "staff"').replace(
        "value = 31,", "value = 10.3,"
    )
    a = load_catalogue(write(tmp_path, wte)).get("A-01")
    assert [v.value for v in a.values] == [10, 10.2, 10.3] and "nearest 1/10" in a.values[1].note
    rate = text.replace('kind = "count"', 'kind = "rate"').replace('basis = "mh_need"\n', "")
    assert load_catalogue(write(tmp_path, rate)).get("A-01").values[1].value == 20.5


def test_duplicate_id(tmp_path):
    with pytest.raises(InputError) as err:
        load_catalogue(write(tmp_path, MINI + SECOND))
    assert (err.value.row, err.value.field) == ("ambition A-01", "id")


def test_no_values_needs_the_no_figure_status(tmp_path):
    text = MINI.split("values = [")[0] + "values = []\n"
    with pytest.raises(InputError, match="no_national_figure") as err:
        load_catalogue(write(tmp_path, text))
    assert err.value.field == "values"
    cat = load_catalogue(
        write(tmp_path, text.replace("values = []", 'status = "no_national_figure"\nvalues = []'))
    )
    assert not cat.get("A-01").has_national_figure


@pytest.mark.parametrize("years", ['["2019/20", "2021/22"]', '["2019-20"]', "[]", '["2019/21"]'])
def test_bad_years(tmp_path, years):
    path = write(tmp_path, MINI.replace('["2019/20", "2020/21", "2021/22"]', years))
    with pytest.raises(InputError) as err:
        load_catalogue(path)
    assert err.value.file == str(path) and err.value.field.startswith("years")


@pytest.mark.parametrize(
    "table, field",
    [
        ('[bases.x]\nsource = "census"\nlabel = "x"', "source"),
        ('[bases.x]\nsource = "ons_population"\nlabel = "x"', "ages"),
        ('[bases.x]\nsource = "ons_population"\nages = "25-0"\nlabel = "x"', "ages"),
        ('[bases.x]\nsource = "gp_registered"\nsex = "any"\nages = "0+"\nlabel = "x"', "sex"),
        (
            '[bases.x]\nsource = "smi_register"\nqof_year = "2020/21"\ncolour = "red"\nlabel = "x"',
            "colour",
        ),
        ('[bases.x]\nsource = "smi_register"\nqof_year = "2020/21"', "label"),
    ],
)
def test_bad_basis_declaration(tmp_path, table, field):
    path = write(tmp_path, MINI + "\n" + table + "\n")
    with pytest.raises(InputError) as err:
        load_catalogue(path)
    assert (err.value.file, err.value.row, err.value.field) == (str(path), "basis x", field)


def test_catalogue_defines_and_uses_its_own_basis(tmp_path):
    (tmp_path / "w.csv").write_text("org_code,weight\n01F,1\n")
    text = (
        MINI.replace('basis = "mh_need"', 'basis = "mine"')
        + '\n[bases.mine]\nsource = "csv"\npath = "w.csv"\nlabel = "Mine"\n'
    )
    cat = load_catalogue(write(tmp_path, text))
    assert cat.bases["mine"].params["path"] == str(tmp_path / "w.csv")
    assert "mh_need" in cat.bases  # shipped bases still there


def test_not_toml_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="not valid TOML"):
        load_catalogue(write(tmp_path, "[catalogue\nname="))
    with pytest.raises(InputError, match="not found"):
        load_catalogue(tmp_path / "nope.toml")


def test_remainder_parts_exceeding_total(tmp_path):
    text = (
        MINI
        + """
[[ambition]]
id = "A-02"
programme = "P"
title = "Part"
category = "fixed"
kind = "count"
measure = "activity"
unit = "people"
unit_kind = "people"
basis = "mh_need"
part_of = "A-01"
values = [ { year = "2019/20", value = 11, provenance = "inferred", note = "n" } ]

[[ambition]]
id = "A-03"
programme = "P"
title = "Rest"
category = "fixed"
kind = "count"
measure = "activity"
unit = "people"
unit_kind = "people"
basis = "mh_need"
remainder_of = "A-01"
values = []
"""
    )
    with pytest.raises(InputError, match="exceed") as err:
        load_catalogue(write(tmp_path, text))
    assert err.value.row == "ambition A-03"
    cat = load_catalogue(write(tmp_path, text.replace("value = 11,", "value = 4,")))
    assert [v.value for v in cat.get("A-03").values] == [6, None, None]


def test_cli_exits_2_naming_file_ambition_and_field(tmp_path):
    path = write(tmp_path, MINI.replace('basis = "mh_need"', 'basis = "nope"'))
    result = CliRunner().invoke(main, ["ambitions", "--catalogue", str(path)])
    assert result.exit_code == 2
    assert (
        str(path) in result.stderr
        and "ambition A-01" in result.stderr
        and "field 'basis'" in result.stderr
    )


PART = """
[[ambition]]
id = "A-02"
programme = "P"
title = "Held nationally"
category = "targeted"
targets = []
targets_note = "areas not named"
kind = "count"
measure = "activity"
unit = "people"
unit_kind = "people"
part_of = "A-01"
source = "https://example.org/a"
values = [ { year = "2019/20", value = 4, provenance = "stated" } ]
"""


def test_england_only_money_cannot_sit_inside_a_local_total(tmp_path):
    path = write(tmp_path, MINI + PART)
    with pytest.raises(InputError) as err:
        load_catalogue(path)
    e = err.value
    assert (e.file, e.row, e.field) == (str(path), "ambition A-02", "part_of")
    assert "England only in 2019/20" in e.message and "national_only" in e.message
    # reported for England only, the total may hold it; or split the part in that year
    fixed = MINI.replace('unit = "people"', 'unit = "people"\nnational_only = true', 1).replace(
        'basis = "mh_need"\n', "", 1
    )
    assert load_catalogue(write(tmp_path, fixed + PART)).get("A-02").national_only
    pilot = MINI + PART.replace(
        'category = "targeted"\ntargets = []\ntargets_note = "areas not named"',
        'category = "fixed"\nbasis = "mh_need"\nnational_years = ["2019/20"]\n'
        'national_years_note = "pilots"',
    )
    with pytest.raises(InputError, match="England only in 2019/20"):
        load_catalogue(write(tmp_path, pilot))


def test_a_basis_for_another_age_group_is_warned_in_log_and_notes(tmp_path):
    from mhtool.catalogue.rules import basis_warnings
    from mhtool.job.pipeline import figure_notes

    cyp = MINI.replace('unit_kind = "people"', 'unit_kind = "people"\nage_group = "cyp"', 1)
    cat = load_catalogue(write(tmp_path, cyp))
    [warning] = basis_warnings(cat)
    assert warning.startswith("A-01 serves children and young people but is split by mh_need")
    assert f"A-01 (basis warning): {warning}" in figure_notes(cat, {"A-01"})
    adults = cyp.replace('basis = "mh_need"', 'basis = "population_0_25"').replace(
        'age_group = "cyp"', 'age_group = "adults"'
    )
    assert (
        "models children and young people"
        in basis_warnings(load_catalogue(write(tmp_path, adults)))[0]
    )
    assert basis_warnings(load_catalogue(write(tmp_path, MINI))) == []


def test_choices_and_pilot_notes_reach_the_notes_sheet(tmp_path):
    from mhtool.job.pipeline import figure_notes

    text = (
        MINI.replace(
            'unit = "people"',
            'unit = "people"\nnational_years = ["2019/20"]\n'
            'national_years_note = "piloted at two sites"',
            1,
        )
        + '\n[[choice]]\nid = "pilots"\nambitions = ["A-01"]\n'
        'text = "Pilot years are England only."\n'
    )
    cat = load_catalogue(write(tmp_path, text))
    notes = figure_notes(cat, {"A-01"})
    assert "A-01 (choice pilots): Pilot years are England only." in notes
    bad = text.replace('ambitions = ["A-01"]', 'ambitions = ["A-99"]')
    with pytest.raises(InputError) as err:
        load_catalogue(write(tmp_path, bad))
    assert (err.value.row, err.value.field) == ("choice pilots", "ambitions[0]")
    assert "A-01 2019/20: reported for England only, not split: piloted at two sites" in notes


def test_a_percentage_above_100_is_refused(tmp_path):
    text = MINI.replace(
        COUNT + '\nbasis = "mh_need"',
        'kind = "standard"\nmeasure = "activity"\nunit = "percent of the area covered"\n'
        'unit_kind = "percent"',
    ).replace("value = 10,", "value = 101,")
    with pytest.raises(InputError, match="percentage above 100") as err:
        load_catalogue(write(tmp_path, text))
    assert err.value.field == "values[0].value"


def test_a_count_may_anchor_inside_the_years_before_its_first_figure(tmp_path):
    """A roll-out after pilots: the anchor year and those before it stay missing, the years
    after it are interpolated from it. Only a count, and only before its first figure."""
    later = MINI.replace('  { year = "2019/20", value = 10, provenance = "stated" },\n', "")
    anchored = later.replace(
        'unit = "people"',
        'unit = "people"\nanchor = { year = "2019/20", value = 0, provenance = "inferred", '
        'note = "the roll-out starts in 2020/21" }',
    )
    a = load_catalogue(write(tmp_path, anchored)).get("A-01")
    assert [(v.value, v.provenance) for v in a.values] == [
        (None, "missing"),
        (15, "interpolated"),
        (30, "inferred"),
    ]
    assert "roll-out starts" in a.values[0].note
    late = anchored.replace('year = "2019/20", value = 0', 'year = "2021/22", value = 0')
    with pytest.raises(InputError) as err:
        load_catalogue(write(tmp_path, late, "late.toml"))
    assert err.value.field == "anchor.year" and "first figure" in err.value.message


ACTUAL = """
[[actual]]
ambition = "A-01"
label = "People counted"
source = "phsmi"
measure = "all_six_checks"
period = "12 months to quarter end"
quarter = "Q4"
"""


def test_actuals_say_what_measures_an_ambition_and_how(tmp_path):
    none = '\n[[actual]]\nambition = "A-01"\nlabel = "Entering"\nnone = "not in the files"\n'
    cat = load_catalogue(write(tmp_path, MINI + ACTUAL + none))
    got = {a.label: a for a in cat.actuals}
    assert got["People counted"].how == "all_six_checks, 12 months to the end of Q4"
    assert got["Entering"].none == "not in the files" and got["Entering"].how == ""
    assert load_catalogue(write(tmp_path, MINI, "old.toml")).actuals == ()  # older ones load


@pytest.mark.parametrize(
    "old,new,field,words",
    [
        ('ambition = "A-01"', 'ambition = "A-09"', "ambition", "unknown ambition"),
        ('source = "phsmi"', 'source = "iapt"', "source", "phsmi, nhstt"),
        ('quarter = "Q4"\n', "", "quarter", "needs its quarter"),
        ('quarter = "Q4"\n', 'quarter = "Q4"\nnone = "both"\n', "", "or say in `none`"),
        ('period = "12 months to quarter end"', 'period = "monthly"', "period", "financial year"),
    ],
)
def test_a_broken_actual_is_named(tmp_path, old, new, field, words):
    with pytest.raises(InputError, match=words) as err:
        load_catalogue(write(tmp_path, MINI + ACTUAL.replace(old, new)))
    assert str(err.value.row).startswith("actual #1") and (err.value.field or "") == field
