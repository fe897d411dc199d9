"""Accent colours made safe for buttons and links (mentoring/colours.py), checked with
known WCAG values."""

from __future__ import annotations

import pytest

from mentoring.colours import (
    DARK_BACKGROUND,
    Brand,
    contrast_ratio,
    relative_luminance,
    with_contrast,
)


@pytest.mark.parametrize(
    ("colour", "luminance"),
    [("#ffffff", 1.0), ("#000000", 0.0), ("#ff0000", 0.2126), ("#808080", 0.2159)],
)
def test_relative_luminance_of_known_colours(colour: str, luminance: float) -> None:
    assert relative_luminance(colour) == pytest.approx(luminance, abs=0.0005)


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        ("#777777", "#ffffff", 4.48),  # the classic grey that just fails AA
        ("#767676", "#ffffff", 4.54),  # and the one that just passes
        ("#0b3d91", "#ffffff", 10.04),
    ],
)
def test_contrast_ratio_of_known_pairs(first: str, second: str, ratio: float) -> None:
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.01)
    assert contrast_ratio(second, first) == pytest.approx(ratio, abs=0.01)


def test_a_colour_with_enough_contrast_is_kept() -> None:
    assert with_contrast("#0B3D91", against="#ffffff") == "#0b3d91"


@pytest.mark.parametrize("accent", ["#ffcc00", "#777777", "#00a651", "#ffffff", "#66ccff"])
def test_a_light_accent_gets_a_darker_shade_that_reaches_4_5(accent: str) -> None:
    shade = with_contrast(accent, against="#ffffff")
    assert shade != accent
    assert contrast_ratio(shade, "#ffffff") >= 4.5
    assert relative_luminance(shade) < relative_luminance(accent)


def test_the_shade_is_the_nearest_one_that_passes_and_keeps_the_hue() -> None:
    # Yellow #ffcc00 (hue 48°): 1.6:1 under white text; its AA shade is a dark yellow.
    shade = with_contrast("#ffcc00", against="#ffffff")
    assert shade == "#8f7200"
    assert 4.5 <= contrast_ratio(shade, "#ffffff") < 4.7


def test_on_a_dark_background_a_dark_accent_gets_lighter() -> None:
    shade = with_contrast("#0b3d91", against=DARK_BACKGROUND)
    assert contrast_ratio(shade, DARK_BACKGROUND) >= 4.5
    assert relative_luminance(shade) > relative_luminance("#0b3d91")


@pytest.mark.parametrize("accent", ["#ffcc00", "#0b3d91", "#000000", "#ffffff", "#e30613"])
def test_every_shade_of_a_brand_reaches_aa(accent: str) -> None:
    brand = Brand.of(accent)
    assert brand.accent == accent
    assert contrast_ratio(brand.button, "#ffffff") >= 4.5
    assert contrast_ratio(brand.button_hover, "#ffffff") >= 4.5
    assert contrast_ratio(brand.text, "#ffffff") >= 4.5
    assert contrast_ratio(brand.text_dark, DARK_BACKGROUND) >= 4.5


def test_a_malformed_accent_falls_back_to_the_default() -> None:
    assert Brand.of("red;}*{").accent == "#0b3d91"
    with pytest.raises(ValueError, match="not a #rrggbb colour"):
        contrast_ratio("red", "#ffffff")
