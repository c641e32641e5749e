"""The images a worker holds for its service: Pillow images by handle id, under the caps of
[image] (how many, how many pixels in all), freed by close() or at the end of the request that
made them. `$draw`'s canvases live here too, so that one budget covers both and a canvas can be
composited like any image.

A worker runs one service, so the store is one per worker (`store_of(ctx)`); the bindings of
$image and $draw share it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from PIL import Image

from kernel.errors import Refused


@dataclass
class Held:
    image: Image.Image
    format: str | None  # what it was decoded from (JPEG, PNG...); None when made here
    kind: str  # "image" or "canvas"
    waiting: set[int] = field(default_factory=set)  # requests that must end before it is freed
    scoped: bool = False  # made during a request: freed when `waiting` empties


class Store:
    def __init__(self, limits, requests=None) -> None:
        self.limits = limits  # settings.image
        self.held: dict[int, Held] = {}
        self.ids = itertools.count(1)
        self.requests = requests
        if requests is not None:
            requests.on_end(self._request_ended)

    # -- budget --------------------------------------------------------------------------------

    def live_pixels(self) -> int:
        return sum(item.image.width * item.image.height for item in self.held.values())

    def check_size(self, width: int, height: int, what: str = "the image", replacing: int = 0, held: bool = True) -> None:
        """Refuse an image of this size before it is decoded or made: past image.max_pixels, or
        (when it will be held) past what the worker may still hold, `replacing` pixels let go."""
        if width * height > self.limits.max_pixels:
            raise Refused(
                413, f"{what} would be {width}x{height}, more than {self.limits.max_pixels} pixels (image.max_pixels)",
                code="image_too_large",
            )
        if held:
            self._check_room(width * height, replacing)

    def _check_room(self, adding: int, replacing: int = 0) -> None:
        live = self.live_pixels() - replacing
        if live + adding > self.limits.max_live_pixels:
            raise Refused(
                429, f"the service holds images of {live} pixels; {adding} more pass image.max_live_pixels "
                f"({self.limits.max_live_pixels}): close() the images it no longer needs", code="image_budget",
            )

    # -- handles -------------------------------------------------------------------------------

    def add(self, image: Image.Image, format: str | None, kind: str = "image") -> dict:
        if len(self.held) >= self.limits.max_handles:
            raise Refused(
                429, f"the service holds {len(self.held)} images and canvases, the most image.max_handles allows: "
                "close() the ones it no longer needs", code="image_budget",
            )
        self._check_room(image.width * image.height)
        handle_id = next(self.ids)
        waiting = set(self.requests.in_flight()) if self.requests is not None else set()
        self.held[handle_id] = Held(image, format, kind, waiting, scoped=bool(waiting))
        return self.info(handle_id)

    def get(self, handle_id, kind: str | None = None) -> Held:
        item = self.held.get(handle_id) if isinstance(handle_id, int) and not isinstance(handle_id, bool) else None
        if item is None:
            raise Refused(
                404, f"no such image (id {handle_id!r}): it was closed, or freed at the end of the request that opened it; "
                "an image opened outside any request ($service.start, a timer) lives until close()", code="image_closed",
            )
        if kind is not None and item.kind != kind:
            raise Refused(422, f"id {handle_id} is a{'n' if item.kind == 'image' else ''} {item.kind}, not a {kind}", code="wrong_handle")
        return item

    def replace(self, handle_id: int, image: Image.Image) -> dict:
        """The result of an operation takes the handle's place (if it was not closed meanwhile)."""
        item = self.get(handle_id)
        if image is not item.image:
            self._check_room(image.width * image.height, item.image.width * item.image.height)
            item.image = image
        return self.info(handle_id)

    def info(self, handle_id: int) -> dict:
        item = self.held[handle_id]
        return {"id": handle_id, "width": item.image.width, "height": item.image.height, "format": item.format, "mode": item.image.mode}

    def close(self, handle_id) -> None:
        item = self.held.pop(handle_id, None) if isinstance(handle_id, int) else None
        if item is not None:
            item.image.close()

    def _request_ended(self, request_id: int) -> None:
        for handle_id, item in list(self.held.items()):
            if item.scoped and request_id in item.waiting:
                item.waiting.discard(request_id)
                if not item.waiting:
                    self.close(handle_id)


# One store per worker context: $image's binding and $draw's find the same one.
_stores: dict[int, tuple[object, Store]] = {}


def store_of(ctx) -> Store:
    found = _stores.get(id(ctx))
    if found is None or found[0] is not ctx:
        found = (ctx, Store(ctx.settings.image, getattr(ctx, "requests", None)))
        _stores[id(ctx)] = found
    return found[1]
