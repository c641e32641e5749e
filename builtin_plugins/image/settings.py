"""The image plugin's settings section [image]: what one service's worker may hold and decode.

A pixel costs up to 4 bytes (RGBA) while held, so `max_live_pixels` must fit in
`runtime.memory_limit` beside the engine (about 60 MB): 40M pixels are up to 160 MB."""

from pydantic import Field

from kernel.settings import Int, Section, Size


class ImageSettings(Section):
    max_bytes: Size = 50 * 1024**2  # largest file or byte string $image.open takes, and largest encoded output
    max_pixels: Int = Field(25_000_000, ge=1)  # largest image (width x height) decoded or made; more is a bomb
    max_live_pixels: Int = Field(40_000_000, ge=1)  # all the images and canvases a worker holds at once
    max_handles: Int = Field(64, ge=1)  # images and canvases a worker holds at once
