"""What $draw draws, with Pillow's ImageDraw: shapes with a fill and a stroke, lines, arcs, and
text laid out in the bundled fonts (word-wrapped to a width, aligned). Arguments arrive as JSON
and are checked here; colours are CSS names or hex (pixels.colour)."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from builtin_plugins.image.pixels import colour, options_of
from kernel.errors import Refused

FONTS = {
    "sans": Path(__file__).parent / "fonts" / "DejaVuSans.ttf",
    "sans-bold": Path(__file__).parent / "fonts" / "DejaVuSans-Bold.ttf",
}
ALIGN_ANCHORS = {"left": "la", "center": "ma", "right": "ra"}  # x is the left edge, the middle, the right edge
FAR = 1_000_000  # coordinates beyond this are certainly a mistake


def coordinate(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or abs(value) > FAR:
        raise Refused(422, f"{name} must be a finite number (pixels)", field=name)
    return float(value)


def length(name: str, value, low: float = 0) -> float:
    number = coordinate(name, value)
    if number < low:
        raise Refused(422, f"{name} must be at least {low:g}", field=name)
    return number


def style(options, default_fill: str | None = "black") -> dict:
    """{fill, outline, width} for ImageDraw from {fill, stroke, width} (CSS colours)."""
    options = options_of(options)
    fill = options.get("fill", default_fill if "stroke" not in options else None)
    stroke = options.get("stroke")
    return {
        "fill": None if fill is None else colour(fill, "fill"),
        "outline": None if stroke is None else colour(stroke, "stroke"),
        "width": round(length("width", options.get("width", 1), 0)),
    }


def pen(options) -> dict:
    """{fill, width} of a line or an arc from {color, width}."""
    options = options_of(options)
    return {"fill": colour(options.get("color", "black"), "color"), "width": max(1, round(length("width", options.get("width", 1), 0)))}


def drawer(image: Image.Image) -> ImageDraw.ImageDraw:
    """An RGB canvas blends translucent colours; an RGBA one (a transparent background) takes them as they are."""
    return ImageDraw.Draw(image, "RGBA" if image.mode == "RGB" else image.mode)


def rect(image, x, y, w, h, options=None) -> None:
    x, y, w, h = coordinate("x", x), coordinate("y", y), length("width", w), length("height", h)
    drawer(image).rectangle((x, y, x + w, y + h), **style(options))


def rounded_rect(image, x, y, w, h, radius, options=None) -> None:
    x, y, w, h = coordinate("x", x), coordinate("y", y), length("width", w), length("height", h)
    drawer(image).rounded_rectangle((x, y, x + w, y + h), radius=length("radius", radius), **style(options))


def circle(image, cx, cy, r, options=None) -> None:
    ellipse(image, cx, cy, r, r, options)


def ellipse(image, cx, cy, rx, ry, options=None) -> None:
    cx, cy, rx, ry = coordinate("cx", cx), coordinate("cy", cy), length("rx", rx), length("ry", ry)
    drawer(image).ellipse((cx - rx, cy - ry, cx + rx, cy + ry), **style(options))


def line(image, x1, y1, x2, y2, options=None) -> None:
    points = [(coordinate("x1", x1), coordinate("y1", y1)), (coordinate("x2", x2), coordinate("y2", y2))]
    drawer(image).line(points, **pen(options))


def polygon(image, points, options=None) -> None:
    if not isinstance(points, list) or not 3 <= len(points) <= 10_000:
        raise Refused(422, "points: a list of 3 to 10000 [x, y] pairs", field="points")
    pairs = []
    for point in points:
        if not isinstance(point, list) or len(point) != 2:
            raise Refused(422, "points: each point is an [x, y] pair", field="points")
        pairs.append((coordinate("x", point[0]), coordinate("y", point[1])))
    drawer(image).polygon(pairs, **style(options))


def arc(image, cx, cy, r, start, end, options=None) -> None:
    """Clockwise from `start` to `end` degrees, 0 at three o'clock."""
    cx, cy, r = coordinate("cx", cx), coordinate("cy", cy), length("r", r)
    drawer(image).arc((cx - r, cy - r, cx + r, cy + r), coordinate("start", start), coordinate("end", end), **pen(options))


# -- text ----------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS[name]), size)


class Layout:
    """Text options checked, and the text wrapped into lines."""

    def __init__(self, text, options, limits) -> None:
        options = options_of(options)
        if not isinstance(text, str):
            raise Refused(422, "text must be a string", field="text")
        if len(text) > limits.max_text:
            raise Refused(422, f"text: at most {limits.max_text} characters (draw.max_text)", field="text")
        size = options.get("size", 16)
        if isinstance(size, bool) or not isinstance(size, (int, float)) or not 1 <= size <= limits.max_font_size:
            raise Refused(422, f"size must be a number of pixels from 1 to {limits.max_font_size}", field="size")
        name = options.get("font", "sans")
        if name not in FONTS:
            raise Refused(422, f"font: one of {', '.join(FONTS)}", field="font")
        align = options.get("align", "left")
        if align not in ALIGN_ANCHORS:
            raise Refused(422, f"align: one of {', '.join(ALIGN_ANCHORS)}", field="align")
        max_width = options.get("maxWidth")
        self.font = font(name, round(size))
        self.align = align
        self.anchor = ALIGN_ANCHORS[align]
        self.spacing = round(size * 0.25)
        self.fill = colour(options.get("color", "black"), "color")
        self.lines = wrap(text, self.font, None if max_width is None else length("maxWidth", max_width, 1))
        self.text = "\n".join(self.lines)

    def box(self, x: float = 0, y: float = 0) -> tuple[float, float, float, float]:
        probe = ImageDraw.Draw(Image.new("L", (1, 1)))
        return probe.multiline_textbbox((x, y), self.text, font=self.font, anchor=self.anchor, spacing=self.spacing, align=self.align)


def wrap(text: str, face: ImageFont.FreeTypeFont, max_width: float | None) -> list[str]:
    """The lines of `text`: its own line breaks, then words moved down past `max_width` (a word
    longer than the width alone is broken where it passes)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if max_width is None:
            lines.append(paragraph)
            continue
        current = ""
        for word in paragraph.split(" "):
            candidate = word if not current else current + " " + word
            if face.getlength(candidate) <= max_width:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = word
            while face.getlength(current) > max_width and len(current) > 1:
                cut = len(current) - 1
                while cut > 1 and face.getlength(current[:cut]) > max_width:
                    cut -= 1
                lines.append(current[:cut])
                current = current[cut:]
        lines.append(current)
    return lines


def text(image, x, y, value, options, limits) -> None:
    layout = Layout(value, options, limits)
    drawer(image).multiline_text(
        (coordinate("x", x), coordinate("y", y)), layout.text, font=layout.font, fill=layout.fill,
        anchor=layout.anchor, spacing=layout.spacing, align=layout.align,
    )


def measure(value, options, limits) -> dict:
    """The box the text would cover when drawn at (0, 0): {width, height, lines, box}."""
    layout = Layout(value, options, limits)
    left, top, right, bottom = layout.box()
    return {
        "width": right - left, "height": bottom - top, "lines": layout.lines,
        "box": {"left": left, "top": top, "right": right, "bottom": bottom},
    }
