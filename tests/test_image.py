"""$image in a real worker over real HTTP: every operation checked by the output's pixels (sizes
and a few pixel values), files through $storage's paths, bombs and over-large inputs refused
with a clear error, handles freed by close() and at the end of their request, the per-worker caps."""

from __future__ import annotations

import io
import struct
import zlib

import httpx
import pytest
from PIL import Image

from conftest import Server, free_port, login, server_env
from runtime_support import new_service

BLUE, RED = (20, 90, 200), (200, 30, 30)

# POST /run {source, steps: [[op, ...args]], format, options}: opens `source` (a path, or
# {bytes: path} to open the file's bytes), applies each step (an argument {open: path} is
# another image, for composite), answers the encoded result with its size in x-size.
SERVICE = """
const openSource = async (source) => typeof source === 'string' ? $image.open(source) : $image.open(await $storage.readBytes(source.bytes));
const fail = (e) => $router.response(422, { error: { message: e.message, code: e.code || null, status: e.status || null } });
$router.post('/run', async (ctx) => {
  try {
    const image = await openSource(ctx.body.source);
    for (const [op, ...args] of ctx.body.steps || []) {
      const real = [];
      for (const arg of args) { real.push(arg && typeof arg === 'object' && arg.open ? await $image.open(arg.open) : arg); }
      const result = await image[op](...real);
      if (result !== image) { throw new Error(op + ' did not resolve to the same handle'); }
    }
    if (ctx.body.save) {
      const entry = await image.save(ctx.body.save, ctx.body.options);
      return { entry, size: [image.width, image.height] };
    }
    const bytes = await image.toBytes(ctx.body.format || 'png', ctx.body.options);
    return $router.response(200, bytes, { 'content-type': 'application/octet-stream', 'x-size': image.width + 'x' + image.height, 'x-mode': image.mode, 'x-format': String(image.format) });
  } catch (e) { return fail(e); }
});
let kept = null;
let logo = null;
$service.start(async () => { logo = await $image.open('logo.png'); });
$router.post('/keep', async () => { kept = await $image.open('halves.png'); return { id: kept.id }; });
$router.get('/kept', async () => {
  try { await kept.clone(); return { alive: true }; } catch (e) { return fail(e); }
});
$router.get('/logo', async () => { const copy = await logo.clone(); const size = [copy.width, copy.height]; copy.close(); return { size }; });
$router.post('/hold', async (ctx) => {
  const held = [];
  try {
    for (let i = 0; i < ctx.body.count; i++) { held.push(await $image.open('halves.png')); if (ctx.body.closeEach) { held.pop().close(); } }
    return { held: held.length };
  } catch (e) { return fail(e); }
});
$router.post('/closed', async () => {
  const image = await $image.open('halves.png');
  image.close();
  try { await image.grayscale(); return { ok: true }; } catch (e) { return fail(e); }
});
"""


def halves(size=(300, 200), mode="RGB", kind="PNG") -> bytes:
    """Left half blue, right half red: a crop, flip, rotate or cover shows in a pixel."""
    image = Image.new(mode, size, RED)
    image.paste(BLUE, (0, 0, size[0] // 2, size[1]))
    buffer = io.BytesIO()
    image.save(buffer, format=kind)
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with almost no data: a decompression bomb's
    header (a decoder that trusted it would allocate width x height pixels)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


class Images:
    def __init__(self, client: httpx.Client, service) -> None:
        self.client, self.service = client, service

    def put(self, path: str, data: bytes) -> None:
        response = self.client.put(self.service.api("/storage/content"), params={"path": path}, content=data, headers=self.service.headers)
        assert response.status_code in (200, 201), response.text

    def run(self, source, *steps, **body) -> Image.Image:
        response = self.client.post(self.service.bot("/run"), json={"source": source, "steps": [list(step) for step in steps], **body})
        assert response.status_code == 200, response.text
        image = Image.open(io.BytesIO(response.content))
        image.load()
        assert response.headers["x-size"] == f"{image.width}x{image.height}"
        image.info["mode_on_host"] = response.headers["x-mode"]
        return image

    def error(self, source, *steps, status=422, **body) -> dict:
        response = self.client.post(self.service.bot("/run"), json={"source": source, "steps": [list(step) for step in steps], **body})
        assert response.status_code == status, response.text
        return response.json()["error"]


def deploy(client, headers) -> Images:
    service = new_service(client, headers)
    images = Images(client, service)
    images.put("halves.png", halves())
    images.put("photo.jpg", halves(kind="JPEG"))
    images.put("logo.png", halves((40, 20)))
    images.put("dot.png", _dot())
    service.deploy(SERVICE)
    return images


def _dot() -> bytes:
    """20x20 green at half opacity."""
    buffer = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 255, 0, 128)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def images(client, root_headers):
    deployed = deploy(client, root_headers)
    yield deployed
    deployed.service.stop()


def near(pixel, expected, tolerance=12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected))


def test_resize_in_each_fit(images):
    filled = images.run("halves.png", ("resize", 150, 100))
    assert filled.size == (150, 100) and near(filled.getpixel((10, 50)), BLUE) and near(filled.getpixel((140, 50)), RED)
    assert images.run("halves.png", ("resize", 600, None)).size == (600, 400)  # the ratio kept
    covered = images.run("halves.png", ("resize", 100, 100, {"fit": "cover"}))
    assert covered.size == (100, 100)  # the centre 200x200: 100 px of blue then 100 of red, halved
    assert near(covered.getpixel((10, 50)), BLUE) and near(covered.getpixel((90, 50)), RED)
    assert images.run("halves.png", ("resize", 100, 100, {"fit": "contain"})).size == (100, 67)
    padded = images.run("halves.png", ("resize", 100, 100, {"fit": "contain", "background": "lime"}))
    assert padded.size == (100, 100) and near(padded.getpixel((50, 2)), (0, 255, 0)) and near(padded.getpixel((10, 50)), BLUE)
    assert "fit" in images.error("halves.png", ("resize", 10, 10, {"fit": "stretch"}))["message"]
    assert images.error("halves.png", ("resize", -5, 10))["message"].startswith("width must be a whole number")


def test_crop_thumbnail_rotate_flip(images):
    left = images.run("halves.png", ("crop", 0, 0, 150, 200))
    assert left.size == (150, 200) and left.getcolors() == [(150 * 200, BLUE)]
    right = images.run("halves.png", ("crop", 160, 20, 100, 100))
    assert right.size == (100, 100) and right.getcolors() == [(100 * 100, RED)]
    assert "passes the image" in images.error("halves.png", ("crop", 250, 0, 100, 10))["message"]
    assert images.run("halves.png", ("thumbnail", 60, 60)).size == (60, 40)
    assert images.run("halves.png", ("thumbnail", 1000, 1000)).size == (300, 200)  # never enlarged
    turned = images.run("halves.png", ("rotate", 90))  # clockwise: the left (blue) half goes on top
    assert turned.size == (200, 300) and turned.getpixel((100, 10)) == BLUE and turned.getpixel((100, 290)) == RED
    tilted = images.run("halves.png", ("rotate", 45))
    assert tilted.size[0] > 300 and tilted.size[1] > 300
    mirrored = images.run("halves.png", ("flip", "h"))
    assert mirrored.getpixel((10, 10)) == RED and mirrored.getpixel((290, 10)) == BLUE
    upside = images.run("halves.png", ("rotate", 90), ("flip", "v"))
    assert upside.getpixel((100, 10)) == RED and upside.getpixel((100, 290)) == BLUE
    assert "'h'" in images.error("halves.png", ("flip", "x"))["message"]


def test_grayscale_blur_convert_composite(images):
    grey = images.run("halves.png", ("grayscale",))
    assert grey.mode == "L" and abs(grey.getpixel((10, 10)) - round(0.299 * 20 + 0.587 * 90 + 0.114 * 200)) <= 1
    sharp = images.run("halves.png")
    assert sharp.getpixel((148, 100)) == BLUE
    blurred = images.run("halves.png", ("blur", 6))
    edge = blurred.getpixel((148, 100))
    assert BLUE[0] < edge[0] < RED[0] and near(blurred.getpixel((10, 100)), BLUE, 2)  # far from the edge: unchanged
    assert images.run("halves.png", ("convert", "RGBA")).mode == "RGBA"
    assert "mode" in images.error("halves.png", ("convert", "XYZ"))["message"]
    mixed = images.run("halves.png", ("composite", {"open": "dot.png"}, 10, 10))
    assert mixed.size == (300, 200) and mixed.mode == "RGB"
    assert near(mixed.getpixel((15, 15)), (10, 173, 100), 3)  # half of the green over the blue
    assert mixed.getpixel((35, 35)) == BLUE  # outside the dot
    edge_cut = images.run("halves.png", ("composite", {"open": "dot.png"}, -10, 190))  # partly outside: cut off
    assert near(edge_cut.getpixel((5, 195)), (10, 173, 100), 3) and edge_cut.getpixel((15, 195)) == BLUE


def test_encoding_saving_and_opening_bytes(images, client):
    small = images.client.post(images.service.bot("/run"), json={"source": "photo.jpg", "format": "jpeg", "options": {"quality": 5}})
    large = images.client.post(images.service.bot("/run"), json={"source": "photo.jpg", "format": "jpeg", "options": {"quality": 95}})
    assert len(small.content) < len(large.content)
    assert Image.open(io.BytesIO(small.content)).format == "JPEG" and small.headers["x-format"] == "JPEG"
    turned = io.BytesIO()  # a phone photo stored sideways, with EXIF orientation 6 (turn clockwise)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.open(io.BytesIO(halves((40, 20), kind="JPEG"))).save(turned, format="JPEG", exif=exif)
    images.put("turned.jpg", turned.getvalue())
    upright = images.run("turned.jpg")
    assert upright.size == (20, 40) and near(upright.getpixel((10, 5)), BLUE, 30)  # the left (blue) half is now on top
    webp = images.run({"bytes": "halves.png"}, ("resize", 30, 20), format="webp")
    assert webp.format == "WEBP" and webp.size == (30, 20)
    saved = client.post(images.service.bot("/run"), json={"source": "photo.jpg", "steps": [["crop", 0, 0, 100, 100]], "save": "out/crop.png"}).json()
    assert saved["entry"]["path"] == "out/crop.png" and saved["entry"]["mime"] == "image/png"
    stored = client.get(images.service.api("/storage/content"), params={"path": "out/crop.png"}, headers=images.service.headers)
    on_disk = Image.open(io.BytesIO(stored.content))
    assert on_disk.format == "PNG" and on_disk.size == (100, 100) and near(on_disk.getpixel((50, 50)), BLUE)
    assert "quality" in images.error("halves.png", format="png", options={"quality": 50})["message"]
    assert "format" in images.error("halves.png", format="tiff")["message"]


def test_paths_go_through_the_storage_rules_and_bad_images_are_refused(images):
    assert "'..' is not allowed" in images.error("../../etc/passwd")["message"]
    assert images.error("missing.png")["status"] == 404
    images.put("notes.txt", b"not an image at all")
    bad = images.error("notes.txt")
    assert bad["code"] == "bad_image" and "not an image" in bad["message"]
    images.put("bomb.png", png_claiming(60_000, 60_000))
    bomb = images.error("bomb.png")
    assert bomb["code"] == "image_too_large" and "3600000000 pixels" in bomb["message"] and "image.max_pixels" in bomb["message"]
    images.put("wide.png", png_claiming(6000, 5000))  # past the limit, not twice it: refused by its header too
    wide = images.error("wide.png")
    assert wide["code"] == "image_too_large" and "6000x5000" in wide["message"]
    assert images.error({"bytes": "bomb.png"})["code"] == "image_too_large"
    huge = images.error("halves.png", ("resize", 20_000, 20_000))
    assert huge["code"] == "image_too_large" and "resized image" in huge["message"]


def test_handles_are_freed_at_the_end_of_their_request_or_by_close(images, client):
    assert client.post(images.service.bot("/keep")).status_code == 200
    gone = client.get(images.service.bot("/kept")).json()["error"]
    assert gone["code"] == "image_closed" and "freed at the end of the request" in gone["message"]
    for _ in range(2):  # opened in $service.start: lives across requests
        assert client.get(images.service.bot("/logo")).json() == {"size": [40, 20]}
    closed = client.post(images.service.bot("/closed")).json()["error"]
    assert closed["code"] == "image_closed"


@pytest.fixture(scope="module")
def small(mongo_uri, tmp_path_factory, users):
    """A server whose workers may hold 3 images of 200000 pixels in all, each up to 150000, from files of 20KB."""
    root = tmp_path_factory.mktemp("small-image")
    env = server_env(root / "storage", free_port(), mongo_uri, M3M_IMAGE__MAX_HANDLES="3", M3M_IMAGE__MAX_LIVE_PIXELS="200000",
                     M3M_IMAGE__MAX_BYTES="20KB", M3M_IMAGE__MAX_PIXELS="150000")
    server = Server(env, root).wait_ready()
    owner = users.make(createProjects=True)
    with httpx.Client(base_url=server.url, timeout=60) as http:
        images = deploy(http, login(http, owner["email"], owner["password"]))
        yield images
        images.service.stop()
    server.stop()


def test_the_worker_caps_on_handles_pixels_and_bytes(small):
    client = small.client
    assert client.post(small.service.bot("/hold"), json={"count": 2}).json() == {"held": 2}  # + the logo of start: 3
    over = client.post(small.service.bot("/hold"), json={"count": 3}).json()["error"]
    assert over["code"] == "image_budget" and "image.max_handles" in over["message"]
    # the two of the last request were freed when it ended, and closing makes room too
    assert client.post(small.service.bot("/hold"), json={"count": 2}).json() == {"held": 2}
    assert client.post(small.service.bot("/hold"), json={"count": 10, "closeEach": True}).json() == {"held": 0}
    # the logo (800) + the other image (60000) + the resized one (144400) would pass 200000: refused before resizing
    budget = small.error("halves.png", ("composite", {"open": "halves.png"}, 0, 0), ("resize", 380, 380))
    assert budget["code"] == "image_budget" and "image.max_live_pixels" in budget["message"]
    assert small.error("halves.png", ("resize", 500, 400))["code"] == "image_too_large"  # past max_pixels
    small.put("noise.png", _noise())
    big = small.error("noise.png")
    assert big["code"] == "too_large" and "image.max_bytes" in big["message"]
    assert small.error({"bytes": "noise.png"})["code"] == "too_large"


def _noise() -> bytes:
    """A PNG over 20KB: random pixels do not compress."""
    import os

    buffer = io.BytesIO()
    Image.frombytes("RGB", (100, 100), os.urandom(30_000)).save(buffer, format="PNG")
    return buffer.getvalue()
