"""The declared JSON Schemas: valid, in step with the vocabulary, and turning every wrong
shape into the project's file/row/field error."""

from __future__ import annotations

import dataclasses

import pytest
from fixtures.catalogues import MINI_HEAD as HEAD
from fixtures.catalogues import ONE_AMBITION as AMB

from mhtool import schema, vocab
from mhtool.catalogue.load import load_catalogue
from mhtool.errors import InputError
from mhtool.infra import paths


def test_every_shipped_schema_is_a_valid_schema():
    import jsonschema

    assert {"catalogue", "bases", "values", "weights"} <= set(schema.names())
    for name in schema.names():
        jsonschema.Draft202012Validator.check_schema(schema.schema(name))


def test_schema_words_are_the_vocabulary():
    amb = schema.schema("catalogue")["$defs"]["ambition"]["properties"]
    assert tuple(amb["category"]["enum"]) == vocab.CATEGORIES
    assert set(amb["kind"]["enum"]) == set(vocab.KINDS)
    assert tuple(amb["measure"]["enum"]) == vocab.MEASURES
    assert set(amb["unit_kind"]["enum"]) == set(vocab.UNIT_KINDS)
    figure = schema.schema("catalogue")["$defs"]["figure"]["properties"]
    assert tuple(figure["provenance"]["enum"]) == vocab.DECLARED


def test_the_planning_schema_words_are_the_spec_s():
    from mhtool.planning import spec

    ref = schema.schema("planning")["$defs"]["ref"]["properties"]
    assert tuple(ref["rule"]["enum"]) == spec.RULES
    assert set(ref["denominator_table"]["enum"]) == {"", *spec.DENOMINATOR_TABLES}
    assert set(ref) == {f.name for f in dataclasses.fields(spec.PlanningRef)}


@pytest.mark.parametrize(
    "name, line",
    [
        ("catalogues/mhip_2019_24.toml", "#:schema ../../mhtool/schemas/catalogue.schema.json"),
        (
            "catalogues/mhip_2019_24_geo2026.toml",
            "#:schema ../../mhtool/schemas/catalogue.schema.json",
        ),
        ("bases.toml", "#:schema ../mhtool/schemas/bases.schema.json"),
        *[
            (f"planning/{n}.toml", "#:schema ../../mhtool/schemas/planning.schema.json")
            for n in ("mhip_2019_24", "mtpf_2026_29", "planning_2025_26")
        ],
    ],
)
def test_shipped_files_point_editors_at_their_schema(name, line):
    path = paths.reference_data_dir() / name
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == line
    assert (path.parent / line.split(" ", 1)[1]).resolve().is_file()


@pytest.mark.parametrize(
    "text, row, field, words",
    [
        ("ambition = 3\n" + HEAD, None, "ambition", "list"),
        (HEAD + '[[ambition]]\nid = "A-01"\n', "ambition A-01", "programme", "non-empty"),
        (
            HEAD + AMB.replace("values = [ {", "values = { x = [ {").replace("} ]", "} ] }"),
            "ambition A-01",
            "values",
            "list",
        ),
        (
            HEAD + AMB.replace("value = 10", "value = nan"),
            "ambition A-01",
            "values[0].value",
            "finite",
        ),
        (
            HEAD + AMB.replace("value = 10", "value = inf"),
            "ambition A-01",
            "values[0].value",
            "finite",
        ),
        (HEAD + AMB.replace('kind = "count"', "kind = 1"), "ambition A-01", "kind", "unknown kind"),
        (HEAD + AMB + "\n[basis_overrides]\nA-01 = 3\n", "ambition A-01", "basis_overrides", ""),
        (HEAD + AMB + '\n[bases]\nx = "y"\n', "basis x", "source", "table"),
        (HEAD + AMB + "\n[programmes]\nP = 1\n", None, "programmes.P", "string"),
        (HEAD.replace('name = "mini"', "name = 1") + AMB, None, "name", "name"),
        (HEAD.replace('name = "mini"', "extends = 2") + AMB, None, "extends", "path"),
        ("colour = 1\n" + HEAD + AMB, None, "colour", "unknown field"),
        (
            HEAD + '[[choice]]\nid = "Bad Id"\nambitions = ["A-01"]\ntext = "x"\n' + AMB,
            "choice #1",
            "id",
            "lower-case",
        ),
    ],
)
def test_wrong_shapes_are_input_errors(tmp_path, text, row, field, words):
    path = tmp_path / "cat.toml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_catalogue(path)
    e = err.value
    assert (e.file, e.row, e.field) == (str(path), row, field), str(e)
    assert words in e.message, e.message


def test_field_path():
    assert schema.field_path(("values", 0, "value")) == "values[0].value"
    assert schema.field_path(()) is None


@pytest.mark.parametrize(
    "header, field, words",
    [
        ("ambition_id,year,value,value", "value", "twice"),
        ("ambition_id,year,value,colour", "colour", "unknown column"),
    ],
)
def test_csv_headers_are_checked_against_the_schema(tmp_path, header, field, words):
    path = tmp_path / "v.csv"
    path.write_text(header + "\nCYP-01,2023/24,1,2\n")
    with pytest.raises(InputError) as err:
        schema.read_csv_rows(path, "values")
    assert (err.value.row, err.value.field) == (1, field) and words in err.value.message


def test_refresh_settings_schema_covers_every_run_setting():
    from mhtool.job.settings import RunConfig

    keys = [k for k in schema.schema("refresh")["properties"] if k != "format"]
    assert keys == RunConfig.keys()  # plus the file's format (mhtool/formats.py)


@pytest.mark.parametrize(
    "text, field, words",
    [
        ("places = 3\n", "places", "string"),
        ('unallocated = "drop"\n', "unallocated", "place, stop"),
        ('planning_subicb = "yes"\n', "planning_subicb", "true or false"),
        ('geography = "twenty"\n', "geography", "vintage"),
        ('out = "a\\u0000b"\n', "out", "path"),
        ('places = "mine\\u0000.csv"\n', "places", "control character"),
        ('values = "v\\n.csv"\n', "values", "path"),
    ],
)
def test_refresh_settings_are_checked_by_the_schema(tmp_path, text, field, words):
    from mhtool.job.settings import read_config

    path = tmp_path / "refresh.toml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_config(path)
    assert (err.value.file, err.value.field) == (str(path), field) and words in err.value.message


def test_refresh_settings_resolve_paths_and_place_files(tmp_path):
    from mhtool.job.settings import read_config

    path = tmp_path / "refresh.toml"
    path.write_text('out = "o"\nplaces = "mine.csv"\ngeography = 2026\n')
    got = read_config(path)
    assert got == {"out": tmp_path / "o", "places": str(tmp_path / "mine.csv"), "geography": "2026"}
    path.write_text('places = "pcn"\n')
    assert read_config(path) == {"places": "pcn"}
