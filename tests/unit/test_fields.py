"""Field metadata and vocabulary: one description that the spine and the docs derive from."""

from __future__ import annotations

from pathlib import Path

from mhtool import fields, vocab
from mhtool.spine import SCHEMA

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def test_spine_schema_is_the_field_metadata():
    assert SCHEMA == fields.schema()
    assert list(SCHEMA) == list(fields.SPINE_COLUMNS)


def test_every_field_is_described():
    for f in fields.FIELD_METADATA.values():
        assert f.description.strip() and f.header.strip(), f.name


def test_architecture_doc_column_table_agrees_with_fields():
    text = DOC.read_text(encoding="utf-8")
    assert fields.with_docs_table(text) == text, (
        "docs/architecture.md is out of date: run python -m mhtool.fields docs/architecture.md"
    )


def test_provenance_words_have_a_meaning_and_one_marker():
    assert set(vocab.PROVENANCE) == set(vocab.PROVENANCES)
    assert all(len(p.marker) == 1 and p.meaning for p in vocab.PROVENANCE.values())


def test_unit_kind_guess():
    assert vocab.unit_kind("GBP (additional vs 2018/19)", "count", "funding") == "gbp"
    assert vocab.unit_kind("percent of births", "rate", "activity") == "percent"
    assert vocab.unit_kind("days (average length of stay)", "rate", "activity") == "days"
    assert vocab.unit_kind("staff (additional)", "count", "workforce") == "staff"
    assert vocab.unit_kind("clinics (number, national)", "sites", "activity") == "sites"
    assert vocab.unit_kind("people per year", "count", "activity") == "people"


def test_the_views_add_only_declared_helper_columns():
    """prepare, plan_order and scope.rows add exactly the helpers declared as theirs, so a
    module relying on one reads a declared name."""
    from fixtures.sample import sample_spine

    from mhtool.outputs.views import scope
    from mhtool.outputs.views.tables import prepare

    spine = sample_spine()
    prepared = prepare(spine)
    added = set(prepared.columns) - set(spine.columns)
    by = {h.name for h in fields.HELPER_COLUMNS.values() if h.added_by.startswith("views.")}
    assert added == by
    shown = scope.rows(prepared, scope.Scope("icb", "QA0"))
    assert set(shown.columns) - set(prepared.columns) == {fields.OWN}
    assert all(name.startswith("_") for name in fields.HELPER_COLUMNS)
    assert not set(fields.HELPER_COLUMNS) & set(fields.SPINE_COLUMNS)


def test_architecture_doc_has_the_helper_table():
    text = DOC.read_text(encoding="utf-8")
    assert fields.HELPERS_BEGIN in text and fields.HELPERS_END in text
    for name in fields.HELPER_COLUMNS:
        assert f"`{name}`" in text


def test_provenance_words_are_explained_from_the_vocabulary():
    """The Notes sheet, the `mhtool ambitions` legend and the docs say the same words
    the vocabulary holds, with its meanings and markers."""
    import re

    from mhtool.cli.ambitions import LEGEND
    from mhtool.outputs.views.notes import provenance_note

    note = provenance_note()
    for word in vocab.SHOWN_PROVENANCES:
        p = vocab.PROVENANCE[word]
        assert f"'{word}' means {p.meaning}" in note
        assert f"{p.marker.strip() or '(none)'} {p.legend}" in LEGEND
    assert "'missing'" not in note  # a year with no figure has no row to carry it
    inputs = (DOC.parent / "inputs.md").read_text(encoding="utf-8")
    assert LEGEND.splitlines()[0] in inputs  # docs/inputs.md shows `mhtool ambitions` output
    outputs = (DOC.parent / "outputs.md").read_text(encoding="utf-8")
    listed = re.search(r"`provenance` \(([a-z/]+)\)", outputs)
    assert listed and tuple(listed.group(1).split("/")) == vocab.SHOWN_PROVENANCES
