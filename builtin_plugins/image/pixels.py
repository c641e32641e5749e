"""What $image does to pixels, with Pillow: decode (bombs refused before any pixel is read),
the operations, encode. Each function takes checked JSON values and returns a new Pillow image
(or bytes); they run in a thread, never on the worker's event loop."""

from __future__ import annotations

import io
import math
import warnings

from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from builtin_plugins.storage.thumbs import FORMATS
from kernel.errors import Refused

FITS = ("cover", "contain", "fill")
MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "CMYK")
OUTPUTS = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG", "webp": "WEBP", "gif": "GIF", "bmp": "BMP"}
MAX_SIDE = 30_000
MAX_BLUR = 250
# Pillow reports broken and truncated images with all of these.
BROKEN = (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, IndexError)


# -- checked arguments ---------------------------------------------------------------------------


def whole(name: str, value, low: int = 1, high: int = MAX_SIDE) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or not low <= value <= high:
        raise Refused(422, f"{name} must be a whole number from {low} to {high}", field=name)
    return int(value)


def number(name: str, value, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not low <= value <= high:
        raise Refused(422, f"{name} must be a number from {low:g} to {high:g}", field=name)
    return float(value)


def options_of(value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError("options must be an object")
    return value


def output_format(value, field: str = "format") -> str:
    name = OUTPUTS.get(str(value).lower()) if isinstance(value, str) else None
    if name is None:
        raise Refused(422, f"{field}: one of {', '.join(OUTPUTS)}", field=field)
    return name


# -- decoding and encoding -----------------------------------------------------------------------


def guard(max_pixels: int) -> None:
    """Pillow's own bomb check, in this worker, at the service's limit: an image past twice it is
    refused while its header is read; one between is refused by `check_size` (so the warning
    Pillow gives for it is not needed)."""
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def decode(source, check_size) -> tuple[Image.Image, str]:
    """(image, format) of an encoded image in a binary file or bytes; `check_size(w, h)` refuses
    it by its header, before the pixels are decoded. Animations give their first frame; a
    photo's EXIF orientation is applied."""
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    try:
        image = Image.open(source, formats=FORMATS)
        check_size(image.width, image.height)
        kind = image.format
        image.seek(0)
        image.load()
        ImageOps.exif_transpose(image, in_place=True)  # in place: no second copy of a big photo
        return image, kind
    except Refused:
        raise
    except Image.DecompressionBombError as exc:
        raise Refused(
            413, f"the image is too large to decode (a decompression bomb?): {exc} (image.max_pixels is {Image.MAX_IMAGE_PIXELS})",
            code="image_too_large",
        ) from None
    except BROKEN as exc:
        raise Refused(422, f"not an image $image can read ({', '.join(f.lower() for f in FORMATS)}): {type(exc).__name__}", code="bad_image") from None


def encode(image: Image.Image, format: str, quality, max_bytes: int) -> bytes:
    options = {}
    if quality is not None:
        if format not in ("JPEG", "WEBP"):
            raise Refused(422, "quality: only for jpeg and webp", field="quality")
        options["quality"] = whole("quality", quality, 1, 100)
    if format == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    elif format in ("PNG", "WEBP", "GIF") and image.mode == "CMYK":
        image = image.convert("RGB")
    elif format == "BMP" and image.mode not in ("1", "L", "P", "RGB"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    if buffer.tell() > max_bytes:
        raise Refused(413, f"the encoded image is {buffer.tell()} bytes, more than image.max_bytes ({max_bytes})", code="too_large")
    return buffer.getvalue()


# -- operations ----------------------------------------------------------------------------------


def target_size(image: Image.Image, width, height) -> tuple[int, int]:
    """(w, h) of resize: a side given as 0 or null keeps the ratio."""
    w = 0 if width in (None, 0) else whole("width", width)
    h = 0 if height in (None, 0) else whole("height", height)
    if not w and not h:
        raise Refused(422, "resize: give a width, a height or both", field="width")
    if not w:
        w = max(1, round(image.width * h / image.height))
    if not h:
        h = max(1, round(image.height * w / image.width))
    return w, h


def resize(image: Image.Image, size: tuple[int, int], fit: str, background) -> Image.Image:
    if fit == "fill":
        return image.resize(size, Image.Resampling.LANCZOS)
    if fit == "cover":
        return ImageOps.fit(image, size, Image.Resampling.LANCZOS)
    if background is not None:
        return ImageOps.pad(image, size, Image.Resampling.LANCZOS, color=background)
    return ImageOps.contain(image, size, Image.Resampling.LANCZOS)


def crop(image: Image.Image, x: int, y: int, w: int, h: int) -> Image.Image:
    if x + w > image.width or y + h > image.height:
        raise Refused(422, f"crop: the box {x},{y} {w}x{h} passes the image's {image.width}x{image.height}", field="width")
    return image.crop((x, y, x + w, y + h))


def thumbnail(image: Image.Image, w: int, h: int) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((w, h), Image.Resampling.LANCZOS)
    return copy


def rotate(image: Image.Image, degrees: float) -> Image.Image:
    """Clockwise, growing the canvas to hold the turned image (corners transparent, or black
    where the mode has no alpha)."""
    turns = degrees % 360
    exact = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
    if turns == 0:
        return image.copy()
    if turns in exact:
        return image.transpose(exact[turns])
    return image.rotate(-turns, Image.Resampling.BICUBIC, expand=True)


def flip(image: Image.Image, direction) -> Image.Image:
    if direction == "h":
        return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if direction == "v":
        return image.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    raise Refused(422, "flip: 'h' (mirror left-right) or 'v' (upside down)", field="direction")


def blur(image: Image.Image, radius: float) -> Image.Image:
    source = image.convert("RGBA") if image.mode in ("P", "1") else image
    return source.filter(ImageFilter.GaussianBlur(radius))


def convert(image: Image.Image, mode) -> Image.Image:
    if mode not in MODES:
        raise Refused(422, f"convert: mode is one of {', '.join(MODES)}", field="mode")
    return image.convert(mode)


def composite(base: Image.Image, over: Image.Image, x: int, y: int) -> Image.Image:
    """`over` laid on `base` with its top-left corner at (x, y), blended by its alpha; parts
    outside `base` are cut off. The result keeps `base`'s mode."""
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    layer.paste(over.convert("RGBA"), (x, y))
    mixed = Image.alpha_composite(base.convert("RGBA"), layer)
    return mixed if base.mode == "RGBA" else mixed.convert(base.mode if base.mode in ("RGB", "L", "LA") else "RGBA")


def colour(value, field: str = "color"):
    """A CSS colour name or hex (#rgb, #rrggbb, #rrggbbaa), rgb()/rgba()/hsl(): an RGBA tuple."""
    from PIL import ImageColor

    if not isinstance(value, str):
        raise Refused(422, f"{field}: a CSS colour name or hex such as '#ff8800'", field=field)
    try:
        rgb = ImageColor.getrgb(value.strip())
    except ValueError:
        raise Refused(422, f"{field}: {value[:40]!r} is not a colour (a CSS name such as 'tomato', or hex such as '#ff8800')", field=field) from None
    return rgb if len(rgb) == 4 else (*rgb, 255)
