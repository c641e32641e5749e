"""The draw plugin's settings section [draw]. A canvas's size is bounded by [image]
(max_pixels, and the worker's max_live_pixels and max_handles): canvases are held images."""

from pydantic import Field

from kernel.settings import Int, Section


class DrawSettings(Section):
    max_text: Int = Field(10_000, ge=1)  # characters one text() or measureText() call draws
    max_font_size: Int = Field(1000, ge=1)  # pixels
