"""Draw the app's icons (static/icons/*.png) with Pillow: two speech bubbles, white on the
site's blue. Run once after changing the drawing: .venv/bin/python scripts/make_icons.py

The maskable icon fills its square and keeps the drawing inside the central 80 % "safe zone"
that phones may crop to a circle or a squircle.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (11, 61, 145, 255)  # #0b3d91, the site's accent
WHITE = (255, 255, 255, 255)
LIGHT = (191, 211, 245, 255)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
SUPERSAMPLE = 4


def _bubble(draw: ImageDraw.ImageDraw, box: tuple[float, ...], tail: str, fill: tuple) -> None:
    left, top, right, bottom = box
    radius = (bottom - top) * 0.42
    draw.rounded_rectangle(box, radius=radius, fill=fill)
    width = right - left
    height = bottom - top
    if tail == "left":
        x = left + width * 0.18
        points = [
            (x, bottom - 2),
            (x + width * 0.2, bottom - 2),
            (x - width * 0.06, bottom + height * 0.32),
        ]
    else:
        x = right - width * 0.18
        points = [
            (x, bottom - 2),
            (x - width * 0.2, bottom - 2),
            (x + width * 0.06, bottom + height * 0.32),
        ]
    draw.polygon(points, fill=fill)


def draw(size: int, *, maskable: bool) -> Image.Image:
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=BLUE)
        inset = big * 0.2  # the drawing stays in the safe zone
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.22, fill=BLUE)
        inset = big * 0.14
    span = big - 2 * inset
    _bubble(
        draw,
        (inset, inset + span * 0.05, inset + span * 0.68, inset + span * 0.5),
        "left",
        WHITE,
    )
    _bubble(
        draw,
        (inset + span * 0.32, inset + span * 0.42, inset + span, inset + span * 0.82),
        "right",
        LIGHT,
    )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in (
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("icon-maskable-512.png", 512, True),
        ("apple-touch-icon.png", 180, True),  # iOS rounds the corners itself
        ("favicon-32.png", 32, False),
    ):
        draw(size, maskable=maskable).save(OUT / name, optimize=True)
        print(OUT / name)


if __name__ == "__main__":
    main()
