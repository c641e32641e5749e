"""Thumbnails of images (jpeg, png, gif, webp, bmp), in PocketBase's size modes:

- `WxH`  crop to fill W x H (from the centre)
- `Wx0`  W wide, the height keeps the ratio; `0xH` the other way round
- `WxHf` fit inside W x H, keeping the ratio

Made with Pillow on first request and cached outside the listed tree under a key of the file's
path, size and modification time, so a changed file gets a new thumbnail. A decompression bomb,
an over-large or broken image is refused with a 422 before any pixel is decoded past the caps.
"""

from __future__ import annotations

import io
import re
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from kernel.errors import Refused

FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP")
SIZE = re.compile(r"^(\d{1,4})x(\d{1,4})(f?)$")
MAX_SIDE = 2000
# The format a thumbnail is written in, by its source's: photos stay JPEG, the rest PNG or WEBP.
OUTPUT = {"JPEG": ("JPEG", "image/jpeg"), "WEBP": ("WEBP", "image/webp")}
DEFAULT_OUTPUT = ("PNG", "image/png")


def parse_size(text: str | None) -> tuple[int, int, bool]:
    """(width, height, fit) of `WxH`, `Wx0`, `0xH` or `WxHf`; 422 otherwise."""
    match = SIZE.match(text or "")
    if not match:
        raise Refused(422, "size: use WxH, Wx0, 0xH or WxHf (e.g. 50x50)", field="size")
    width, height, fit = int(match.group(1)), int(match.group(2)), bool(match.group(3))
    if (width == 0 and height == 0) or width > MAX_SIDE or height > MAX_SIDE or (fit and 0 in (width, height)):
        raise Refused(422, f"size: sides from 1 to {MAX_SIDE}; one of them may be 0 (not with f)", field="size")
    return width, height, fit


def make(source, size: tuple[int, int, bool], max_pixels: int) -> tuple[bytes, str]:
    """The thumbnail of the image in the binary file `source`: (bytes, mime)."""
    width, height, fit = size
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source, formats=FORMATS)
            if image.width * image.height > max_pixels:
                raise Refused(422, f"the image has {image.width}x{image.height} pixels, more than {max_pixels} for a thumbnail", field="path")
            kind = image.format
            image.seek(0)  # an animation's first frame
            image = ImageOps.exif_transpose(image)
            if fit:
                image.thumbnail((width, height))
            elif width == 0 or height == 0:
                ratio = height / image.height if width == 0 else width / image.width
                image = image.resize((max(1, round(image.width * ratio)), max(1, round(image.height * ratio))))
            else:
                image = ImageOps.fit(image, (width, height))
            output, mime = OUTPUT.get(kind, DEFAULT_OUTPUT)
            if output == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            elif output != "JPEG" and image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                image = image.convert("RGBA")
            buffer = io.BytesIO()
            image.save(buffer, format=output)
            return buffer.getvalue(), mime
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(422, "the image is too large to decode (a decompression bomb?)", field="path") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, IndexError) as exc:
        # Pillow reports broken and truncated images with all of these.
        raise Refused(422, f"not an image m3m can read (jpeg, png, gif, webp, bmp): {type(exc).__name__}", field="path") from None
