"""The image plugin's settings section [image]: what one service's worker may hold and decode.

A held pixel costs 4 bytes (Pillow keeps RGB as 4 bytes too), so `max_live_pixels` must fit in
`runtime.memory_limit` beside the engine (a worker is ~80-100 MB before any image): the default
32M pixels are 128 MB, inside the default 256 MB (measured: bench/native_image.py)."""

from pydantic import Field

from kernel.settings import Int, Section, Size


class ImageSettings(Section):
    max_bytes: Size = 50 * 1024**2  # largest file or byte string $image.open takes, and largest encoded output
    max_pixels: Int = Field(25_000_000, ge=1)  # largest image (width x height) decoded or made; more is a bomb
    max_live_pixels: Int = Field(32_000_000, ge=1)  # all the images and canvases a worker holds at once
    max_handles: Int = Field(64, ge=1)  # images and canvases a worker holds at once
