"""Charts: at least 1,200 px wide, one panel per line titled in words, scales from zero,
a region's ICBs compared, byte-identical on rerun."""

from __future__ import annotations

import io

import pytest
from fixtures.sample import sample_spine
from PIL import Image

from mhtool.outputs.charts import write as charts
from mhtool.outputs.views import scope as scopes
from mhtool.outputs.views.tables import prepare


def test_trajectory_chart_is_wide_titled_and_repeatable():
    df = prepare(sample_spine())
    rows = scopes.rows(df, scopes.Scope("icb", "QA0"))
    png, alt = charts.render(rows, "QA0")
    image = Image.open(io.BytesIO(png))
    assert image.width >= 1200 and image.height > 400
    assert not image.info  # no text chunks: no software name, no date
    assert "fair shares by financial year" in alt
    assert "Synthetic fixed count activity ambition number 1" in alt  # titled in words
    assert charts.render(rows, "QA0")[0] == png


def test_region_compare_chart_only_above_systems():
    df = prepare(sample_spine())
    rows = scopes.rows(df, scopes.Scope("region", "Y56"))
    png, alt = charts.render_compare(rows, "Y56")
    assert Image.open(io.BytesIO(png)).width >= 1200 and "ICBs" in alt
    assert charts.render_compare(scopes.rows(df, scopes.Scope("icb", "QA0")), "QA0") is None


def test_scales_start_at_zero_in_round_steps():
    assert charts.nice_ticks(1773) == [0, 500, 1000, 1500, 2000]
    assert charts.nice_ticks(0) == [0.0, 1.0]
    ticks = charts.nice_ticks(83_815_606)
    assert ticks[0] == 0 and ticks[-1] >= 83_815_606 and len(ticks) <= 6


@pytest.mark.parametrize("anchor", ["la", "rm", "mt", "mb", "lm"])
def test_cached_text_draws_the_pixels_pillow_draws(anchor):
    """_Canvas.text takes Pillow's own steps (glyphs cached): the same pixels as draw.text."""
    from PIL import ImageDraw

    from mhtool.outputs.charts.write import GREY, INK, _Canvas, _font

    ours = _Canvas(1, "", "", 100)
    theirs = Image.new("RGB", ours.image.size, "white")
    draw = ImageDraw.Draw(theirs)
    ours.image.paste((255, 255, 255), (0, 0, *ours.image.size))
    for k, (text, font, fill) in enumerate(
        [
            ("19/20", _font(13), INK),
            ("£1.23m", _font(13, True), GREY),
            ("Women ‘…’", _font(20), INK),
        ]
    ):
        for xy in [(40, 30 + 40 * k), (200.5, 31.25 + 40 * k), (400.875, 30.6 + 40 * k)] * 2:
            ours.text(xy, text, font=font, fill=fill, anchor=anchor)
            draw.text(xy, text, font=font, fill=fill, anchor=anchor)
    assert ours.image.tobytes() == theirs.tobytes()
