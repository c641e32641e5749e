"""Host side of $draw: a canvas is an RGB (opaque background) or RGBA (transparent) Pillow image
in the worker's image store (builtin_plugins/image/store.py), so it counts in the same budget,
is freed the same way, and encodes and saves with $image's own operations. Shapes and text are
drawn synchronously on the loop (they take microseconds to a few milliseconds); decoding an
image to draw and encoding run in a thread."""

from __future__ import annotations

from PIL import Image

from builtin_plugins.image import pixels
from builtin_plugins.image.binding import CHUNK, SAVES, Blobs, files_of, run, transfer_operations
from builtin_plugins.image.pixels import options_of, whole
from builtin_plugins.image.store import store_of
from builtin_plugins.runtime.sdk import Binding

from . import shapes


def binding(ctx) -> Binding:
    limits = ctx.settings.image
    store = store_of(ctx)
    blobs = Blobs(limits.max_bytes)

    def canvas(width, height, options=None) -> dict:
        width, height = whole("width", width), whole("height", height)
        store.check_size(width, height, what="the canvas")
        background = options_of(options).get("background")
        fill = (0, 0, 0, 0) if background is None else pixels.colour(background, "background")
        image = Image.new("RGB" if fill[3] == 255 else "RGBA", (width, height), fill[:3] if fill[3] == 255 else fill)
        return store.add(image, None, kind="canvas")

    def on_canvas(draw):
        def apply(handle_id, *args) -> None:
            draw(store.get(handle_id, "canvas").image, *args)
        return apply

    async def draw_image(handle_id, source, x=0, y=0, width=None, height=None) -> dict:
        """`source` is {"handle": id} (an image or another canvas) or {"blob": id} (bytes sent)."""
        target = store.get(handle_id, "canvas")
        if isinstance(source, dict) and "blob" in source:
            picture, _ = await run(pixels.decode, blobs.take(source["blob"]), store.check_size)
        elif isinstance(source, dict) and "handle" in source:
            picture = store.get(source["handle"]).image
        else:
            raise TypeError("$draw image: an image handle, a canvas or bytes")
        x, y = round(shapes.coordinate("x", x)), round(shapes.coordinate("y", y))
        if width is not None or height is not None:
            size = pixels.target_size(picture, width, height)
            store.check_size(*size, what="the drawn image", held=False)
            picture = await run(pixels.resize, picture, size, "fill", None)
        return store.replace(handle_id, await run(pixels.composite, target.image, picture, x, y))

    return Binding(
        operations={
            **transfer_operations(store, blobs, files_of(ctx), limits),
            "canvas": canvas,
            "rect": on_canvas(shapes.rect),
            "roundedRect": on_canvas(shapes.rounded_rect),
            "circle": on_canvas(shapes.circle),
            "ellipse": on_canvas(shapes.ellipse),
            "line": on_canvas(shapes.line),
            "polygon": on_canvas(shapes.polygon),
            "arc": on_canvas(shapes.arc),
            "text": on_canvas(lambda image, x, y, text, options=None: shapes.text(image, x, y, text, options, ctx.settings.draw)),
            "measureText": lambda text, options=None: shapes.measure(text, options, ctx.settings.draw),
            "image": draw_image,
            "close": store.close,
        },
        data={"chunk": CHUNK},
        writes=SAVES,
    )
