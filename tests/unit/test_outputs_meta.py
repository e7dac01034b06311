"""WorkbookMeta: a typed record read by attribute, saved and read back as workbooks.json."""

from __future__ import annotations

import json

import pytest
from fixtures.sample import SAMPLE_META

from mhtool.outputs.views.meta import WorkbookMeta


def test_saved_and_read_back_the_same():
    saved = json.loads(json.dumps(SAMPLE_META.as_dict(), default=str))
    assert WorkbookMeta.from_mapping(saved) == SAMPLE_META
    assert WorkbookMeta.from_mapping({**saved, "from_a_newer_run": 1}) == SAMPLE_META


def test_read_by_attribute_only():
    with pytest.raises(TypeError):
        SAMPLE_META["bases"]
    assert not hasattr(SAMPLE_META, "get")
    with pytest.raises(TypeError):
        SAMPLE_META.replaced(no_such_field=1)
    assert SAMPLE_META.replaced(contact="x").contact == "x"
    assert WorkbookMeta().bases == {} and WorkbookMeta().notes == ()
