"""Colours with enough contrast (WCAG 2.1): a pilot's accent made safe for buttons and links.

A staff member picks any accent colour; white button text on it, or the colour as link text on
the page's background, must still reach 4.5:1. A colour that does not gets a derived shade:
darker (or, on a dark background, lighter) in HSL, keeping its hue and saturation.
"""

from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass

HEX = re.compile(r"#[0-9a-fA-F]{6}\Z")
WHITE = "#ffffff"
# Pico CSS's page backgrounds: light, and dark under prefers-color-scheme: dark.
LIGHT_BACKGROUND = WHITE
DARK_BACKGROUND = "#13171f"
AA_NORMAL_TEXT = 4.5
DEFAULT_ACCENT = "#0b3d91"


def _rgb(colour: str) -> tuple[float, float, float]:
    if not HEX.fullmatch(colour):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def _hex(red: float, green: float, blue: float) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in (red, green, blue))


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of a #rrggbb colour, 0 (black) to 1 (white)."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in _rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.1 contrast ratio of two colours, 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def with_contrast(colour: str, *, against: str, ratio: float = AA_NORMAL_TEXT) -> str:
    """`colour` itself if it reaches `ratio` against `against`; otherwise the nearest shade of
    it that does: darker against a light colour, lighter against a dark one (HSL lightness in
    steps of 1 %, hue and saturation kept). Black and white always reach 4.5:1 against one of
    the two ends, so for ratios up to 4.5 a shade is always found."""
    colour = colour.lower()
    if contrast_ratio(colour, against) >= ratio:
        return colour
    hue, lightness, saturation = colorsys.rgb_to_hls(*_rgb(colour))
    step = -0.01 if relative_luminance(against) > 0.18 else 0.01
    while 0.0 <= lightness <= 1.0:
        lightness = round(lightness + step, 4)
        shade = _hex(*colorsys.hls_to_rgb(hue, max(0.0, min(1.0, lightness)), saturation))
        if contrast_ratio(shade, against) >= ratio:
            return shade
    return "#000000" if step < 0 else WHITE


@dataclass(frozen=True)
class Brand:
    """The shades of one accent colour a page uses."""

    accent: str  # as chosen: decorative uses (a band's border)
    button: str  # primary buttons' background under white text
    button_hover: str  # a little darker, still under white text
    text: str  # links and accent text on the light background
    text_dark: str  # links and accent text on the dark background (dark mode)

    @classmethod
    def of(cls, accent: str) -> Brand:
        accent = accent.lower() if HEX.fullmatch(accent or "") else DEFAULT_ACCENT
        button = with_contrast(accent, against=WHITE)
        hover_ratio = min(21.0, contrast_ratio(button, WHITE) + 1.0)
        return cls(
            accent=accent,
            button=button,
            button_hover=with_contrast(button, against=WHITE, ratio=hover_ratio),
            text=with_contrast(accent, against=LIGHT_BACKGROUND),
            text_dark=with_contrast(accent, against=DARK_BACKGROUND),
        )
