"""Host side of $image: Pillow images held in the worker's Store and worked on by handle id, so
pixels never cross the boundary; bytes cross only to open from bytes or to take the encoded
result, as base64 in chunks of CHUNK bytes (as $storage does). Decoding and every operation run
in a thread, off the event loop that serves the other requests."""

from __future__ import annotations

import asyncio
import base64
import itertools
import math
from pathlib import PurePosixPath

from builtin_plugins.runtime.sdk import Binding
from builtin_plugins.storage.paths import text_of
from builtin_plugins.storage.service import Files, project_dir
from kernel.errors import Refused

from . import pixels
from .pixels import number, options_of, whole
from .store import store_of

CHUNK = 1024 * 1024
MAX_BLOBS = 16  # byte strings crossing at once (opened from bytes, or encoded for toBytes)


class Blobs:
    """Bytes on their way in (written in chunks) or out (read in chunks), by id."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.items: dict[int, bytearray | memoryview] = {}
        self.offsets: dict[int, int] = {}
        self.ids = itertools.count(1)

    def new(self, data: bytes | None = None) -> int:
        if len(self.items) >= MAX_BLOBS:
            raise Refused(429, f"more than {MAX_BLOBS} images are crossing at once", code="image_budget")
        blob_id = next(self.ids)
        self.items[blob_id] = bytearray() if data is None else memoryview(data)
        self.offsets[blob_id] = 0
        return blob_id

    def write(self, blob_id, data_b64) -> None:
        blob = self.items.get(blob_id)
        if not isinstance(blob, bytearray):
            raise Refused(404, "no such upload (closed already?)")
        if not isinstance(data_b64, str):
            raise TypeError("data must cross as base64 text")
        try:
            blob += base64.b64decode(data_b64, validate=True)
        except ValueError:
            raise TypeError("data is not base64") from None
        if len(blob) > self.max_bytes:
            self.drop(blob_id)
            raise Refused(413, f"the image is larger than image.max_bytes ({self.max_bytes} bytes)", code="too_large")

    def read(self, blob_id) -> str | None:
        blob = self.items.get(blob_id)
        if not isinstance(blob, memoryview):
            raise Refused(404, "no such encoded image (read already?)")
        at = self.offsets[blob_id]
        if at >= len(blob):
            self.drop(blob_id)
            return None
        self.offsets[blob_id] = at + CHUNK
        return base64.b64encode(blob[at: at + CHUNK]).decode()

    def take(self, blob_id) -> bytes:
        blob = self.items.get(blob_id)
        if not isinstance(blob, bytearray):
            raise Refused(404, "no such upload (closed already?)")
        self.drop(blob_id)
        return bytes(blob)

    def drop(self, blob_id) -> None:
        self.items.pop(blob_id, None)
        self.offsets.pop(blob_id, None)


def run(function, *args):
    return asyncio.to_thread(function, *args)


def files_of(ctx) -> Files:
    return Files(project_dir(ctx.settings.storage.path, ctx.project["id"]), ctx.settings.files)


SAVES = frozenset({"save"})  # of the transfer operations, what writes the project's files (Binding.writes)


def transfer_operations(store, blobs: Blobs, files: Files, limits) -> dict:
    """Bytes in and out, encoding and saving of any held image: $draw's binding offers the same
    for its canvases."""

    def format_for(item, wanted, path: str | None = None) -> str:
        if wanted is not None:
            return pixels.output_format(wanted)
        if path is not None and PurePosixPath(path).suffix:
            return pixels.output_format(PurePosixPath(path).suffix[1:], "path")
        return item.format if item.format in pixels.OUTPUTS.values() else "PNG"

    async def encode(handle_id, format="png", options=None) -> dict:
        item = store.get(handle_id)
        options = options_of(options)
        data = await run(pixels.encode, item.image, format_for(item, format), options.get("quality"), limits.max_bytes)
        return {"blob": blobs.new(data), "size": len(data)}

    async def save(handle_id, path, options=None) -> dict:
        item = store.get(handle_id)
        options = options_of(options)
        if not isinstance(path, str):
            raise Refused(422, "path: must be a string", field="path")
        data = await run(pixels.encode, item.image, format_for(item, options.get("format"), path), options.get("quality"), limits.max_bytes)
        return await run(files.write_bytes, path, data)

    return {
        "blobNew": lambda: blobs.new(), "blobWrite": blobs.write, "blobRead": blobs.read, "blobDrop": blobs.drop,
        "encode": encode, "save": save,
    }


def binding(ctx) -> Binding:
    limits = ctx.settings.image
    pixels.guard(limits.max_pixels)
    store = store_of(ctx)
    files = files_of(ctx)
    blobs = Blobs(limits.max_bytes)
    transfer = transfer_operations(store, blobs, files, limits)

    async def open_path(path) -> dict:
        parts, handle = await run(files.open, path)
        with handle:
            size = handle.seek(0, 2)
            handle.seek(0)
            if size > limits.max_bytes:
                raise Refused(413, f"{text_of(parts)} is {size} bytes, more than image.max_bytes ({limits.max_bytes})", code="too_large", field="path")
            image, kind = await run(pixels.decode, handle, store.check_size)
        return store.add(image, kind)

    async def open_bytes(blob_id) -> dict:
        image, kind = await run(pixels.decode, blobs.take(blob_id), store.check_size)
        return store.add(image, kind)

    def operation(build):
        """An operation on a handle: `build(image, *args)` in a thread, its result in the handle's place."""
        async def apply(handle_id, *args) -> dict:
            item = store.get(handle_id)
            return store.replace(handle_id, await run(build, item.image, *args))
        return apply

    def checked(check, build):
        """Arguments checked (and sizes refused) on the loop, before any pixel work starts."""
        async def apply(handle_id, *args) -> dict:
            item = store.get(handle_id)
            prepared = check(item.image, *args)
            return store.replace(handle_id, await run(build, item.image, *prepared))
        return apply

    def resize_args(image, width, height, options=None):
        options = options_of(options)
        size = pixels.target_size(image, width, height)
        store.check_size(*size, what="the resized image", replacing=image.width * image.height)
        fit = options.get("fit", "fill")
        if fit not in pixels.FITS:
            raise Refused(422, f"fit: one of {', '.join(pixels.FITS)}", field="fit")
        background = options.get("background")
        return size, fit, None if background is None else pixels.colour(background, "background")

    def crop_args(image, x, y, w, h):
        return whole("x", x, 0), whole("y", y, 0), whole("width", w), whole("height", h)

    def rotate_args(image, degrees):
        degrees = number("degrees", degrees, -3600, 3600)
        turn = math.radians(degrees % 360)
        w = abs(image.width * math.cos(turn)) + abs(image.height * math.sin(turn))
        h = abs(image.width * math.sin(turn)) + abs(image.height * math.cos(turn))
        store.check_size(math.ceil(w), math.ceil(h), what="the rotated image", replacing=image.width * image.height)
        return (degrees,)

    async def composite(handle_id, other_id, x=0, y=0) -> dict:
        item, over = store.get(handle_id), store.get(other_id)
        x, y = whole("x", x, -pixels.MAX_SIDE), whole("y", y, -pixels.MAX_SIDE)
        return store.replace(handle_id, await run(pixels.composite, item.image, over.image, x, y))

    async def clone(handle_id) -> dict:
        item = store.get(handle_id)
        return store.add(await run(item.image.copy), item.format)

    def info(handle_id) -> dict:
        store.get(handle_id)
        return store.info(handle_id)

    return Binding(
        operations={
            **transfer,
            "openPath": open_path, "openBytes": open_bytes,
            "resize": checked(resize_args, pixels.resize),
            "crop": checked(crop_args, pixels.crop),
            "thumbnail": checked(lambda image, w, h: (whole("width", w), whole("height", h)), pixels.thumbnail),
            "rotate": checked(rotate_args, pixels.rotate),
            "flip": operation(pixels.flip),
            "grayscale": operation(lambda image: image.convert("LA" if "A" in image.getbands() else "L")),
            "blur": checked(lambda image, radius: (number("radius", radius, 0, pixels.MAX_BLUR),), pixels.blur),
            "convert": operation(pixels.convert),
            "composite": composite, "clone": clone,
            "info": info,
            "close": store.close,
        },
        data={"chunk": CHUNK},
        writes=SAVES,
    )

