"""$draw in a real worker over real HTTP: each shape checked by pixels of the output, colours as
CSS names and hex, text in the bundled font (Cyrillic included) checked by the box its ink
covers against measureText, images drawn in and canvases composited into $image."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops

from runtime_support import new_service
from test_image import BLUE, RED, Images, halves, near

# POST /draw {width, height, background, ops: [[op, ...args]], format, save}: a canvas, the
# calls in order (an argument {open: path} is an $image image, {bytes: path} a file's bytes),
# then the encoded canvas. POST /measure {text, options}. POST /into: a canvas composited into
# an image.
SERVICE = """
const fail = (e) => $router.response(422, { error: { message: e.message, code: e.code || null, name: e.name } });
const real = async (arg) => {
  if (arg && typeof arg === 'object' && arg.open) { return $image.open(arg.open); }
  if (arg && typeof arg === 'object' && arg.bytes) { return $storage.readBytes(arg.bytes); }
  return arg;
};
$router.post('/draw', async (ctx) => {
  try {
    const b = ctx.body;
    const canvas = $draw.canvas(b.width, b.height, b.background ? { background: b.background } : undefined);
    for (const [op, ...args] of b.ops || []) {
      const values = [];
      for (const arg of args) { values.push(await real(arg)); }
      const result = await canvas[op](...values);
      if (result !== canvas) { throw new Error(op + ' did not return the canvas'); }
    }
    if (b.save) { return { entry: await canvas.save(b.save) }; }
    const bytes = await canvas.toBytes(b.format || 'png');
    return $router.response(200, bytes, { 'content-type': 'application/octet-stream' });
  } catch (e) { return fail(e); }
});
$router.post('/measure', async (ctx) => {
  try { return $draw.measureText(ctx.body.text, ctx.body.options); } catch (e) { return fail(e); }
});
$router.post('/into', async () => {
  const image = await $image.open('halves.png');
  const badge = $draw.canvas(40, 40).circle(20, 20, 20, { fill: '#ffffff' });
  await image.composite(badge, 130, 80);
  return $router.response(200, await image.toBytes(), { 'content-type': 'application/octet-stream' });
});
"""

WHITE = (255, 255, 255)


@pytest.fixture(scope="module")
def drawing(client, root_headers):
    service = new_service(client, root_headers)
    helper = Images(client, service)
    helper.put("halves.png", halves())
    service.deploy(SERVICE)
    yield helper
    service.stop()


def draw(drawing, *ops, width=100, height=80, background="white", **body) -> Image.Image:
    response = drawing.client.post(drawing.service.bot("/draw"), json={"width": width, "height": height, "background": background, "ops": [list(op) for op in ops], **body})
    assert response.status_code == 200, response.text
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def draw_error(drawing, *ops, **body) -> dict:
    response = drawing.client.post(drawing.service.bot("/draw"), json={"width": 100, "height": 80, "ops": [list(op) for op in ops], **body})
    assert response.status_code == 422, response.text
    return response.json()["error"]


def measure(drawing, text, **options) -> dict:
    response = drawing.client.post(drawing.service.bot("/measure"), json={"text": text, "options": options})
    assert response.status_code == 200, response.text
    return response.json()


def ink(image: Image.Image) -> tuple[int, int, int, int] | None:
    """The box of every pixel that is not the white background."""
    return ImageChops.difference(image.convert("RGB"), Image.new("RGB", image.size, WHITE)).getbbox()


def test_rectangles_circles_ellipses(drawing):
    image = draw(drawing, ("rect", 10, 10, 30, 20, {"fill": "red"}), ("rect", 50, 10, 30, 20, {"stroke": "#0000ff", "width": 2}))
    assert image.size == (100, 80) and image.mode == "RGB"
    assert image.getpixel((20, 20)) == (255, 0, 0) and image.getpixel((5, 5)) == WHITE
    assert image.getpixel((50, 15)) == (0, 0, 255) and image.getpixel((65, 20)) == WHITE  # a stroke only: hollow
    rounded = draw(drawing, ("roundedRect", 0, 0, 60, 60, 15, {"fill": "black"}))
    assert rounded.getpixel((1, 1)) == WHITE and rounded.getpixel((30, 30)) == (0, 0, 0) and rounded.getpixel((30, 1)) == (0, 0, 0)
    circle = draw(drawing, ("circle", 50, 40, 20, {"fill": "lime"}))
    assert circle.getpixel((50, 40)) == (0, 255, 0) and circle.getpixel((68, 40)) == (0, 255, 0)
    assert circle.getpixel((66, 56)) == WHITE and ink(circle) == (30, 20, 71, 61)
    oval = draw(drawing, ("ellipse", 50, 40, 40, 10, {"fill": "navy", "stroke": "orange", "width": 2}))
    assert oval.getpixel((50, 40)) == (0, 0, 128) and oval.getpixel((50, 55)) == WHITE and oval.getpixel((10, 40))[:2] == (255, 165)


def test_lines_polygons_arcs_and_colours(drawing):
    image = draw(drawing, ("line", 0, 40, 99, 40, {"color": "#ff8800", "width": 3}))
    assert image.getpixel((50, 40)) == (255, 136, 0) and image.getpixel((50, 45)) == WHITE
    triangle = draw(drawing, ("polygon", [[0, 0], [99, 0], [0, 79]], {"fill": "tomato"}))
    assert triangle.getpixel((5, 5)) == (255, 99, 71) and triangle.getpixel((95, 75)) == WHITE
    arc = draw(drawing, ("arc", 50, 40, 30, 0, 90, {"color": "red", "width": 3}))
    assert near(arc.getpixel((71, 61)), (255, 0, 0), 40)  # 45 degrees clockwise from three o'clock
    assert arc.getpixel((20, 40)) == WHITE and arc.getpixel((50, 11)) == WHITE  # not the rest of the circle
    half = draw(drawing, ("rect", 0, 0, 100, 80, {"fill": "#ff000080"}))  # translucent over white: blended
    assert near(half.getpixel((50, 40)), (255, 127, 127), 2)
    clear = draw(drawing, ("rect", 0, 0, 50, 80, {"fill": "#ff000080"}), background=None)
    assert clear.mode == "RGBA" and clear.getpixel((10, 10)) == (255, 0, 0, 128) and clear.getpixel((90, 10)) == (0, 0, 0, 0)
    bad = draw_error(drawing, ("rect", 0, 0, 10, 10, {"fill": "notacolour"}))
    assert "fill" in bad["message"] and "not a colour" in bad["message"]
    assert "points" in draw_error(drawing, ("polygon", [[0, 0], [1, 1]]))["message"]
    assert "x must be a finite number" in draw_error(drawing, ("rect", "a", 0, 10, 10))["message"]


def test_text_covers_the_box_measure_text_gives(drawing):
    for text, options in [("Hello, m3m", {"size": 40}), ("Привет, мир", {"size": 32, "font": "sans-bold"})]:
        metrics = measure(drawing, text, **options)
        image = draw(drawing, ("text", 20, 30, text, {**options, "color": "black"}), width=320, height=120)
        left, top, right, bottom = ink(image)
        box = metrics["box"]
        # across, the box is the pen's advance: the ink starts and ends within a side bearing of it
        bearing = options["size"] * 0.1
        assert 0 <= left - (20 + box["left"]) <= bearing and 0 <= (20 + box["right"]) - right <= bearing, (ink(image), metrics)
        assert abs(top - (30 + box["top"])) <= 1 and abs(bottom - (30 + box["bottom"])) <= 1, (ink(image), metrics)
        assert metrics["width"] > 100 and metrics["lines"] == [text]
    # Cyrillic has real glyphs, not one box drawn for every missing letter
    zhe = draw(drawing, ("text", 10, 10, "Ж", {"size": 40}))
    pe = draw(drawing, ("text", 10, 10, "П", {"size": 40}))
    assert ImageChops.difference(zhe, pe).getbbox() is not None
    centred = draw(drawing, ("text", 150, 10, "Hi", {"size": 30, "align": "center"}), width=300)
    left, _, right, _ = ink(centred)
    assert abs((left + right) / 2 - 150) <= 2
    wrapped = measure(drawing, "one two three four five", size=20, maxWidth=90)
    assert len(wrapped["lines"]) >= 3 and " ".join(wrapped["lines"]) == "one two three four five" and wrapped["width"] <= 90
    lines = draw(drawing, ("text", 5, 5, "one two three four five", {"size": 20, "maxWidth": 90}), width=200, height=200)
    left, top, right, bottom = ink(lines)
    assert right - left <= 90 and bottom - top > 2 * 20
    assert "draw.max_text" in draw_error(drawing, ("text", 0, 0, "x" * 10_001))["message"]
    assert "font" in draw_error(drawing, ("text", 0, 0, "x", {"font": "comic"}))["message"]


def test_images_drawn_in_and_canvases_composited(drawing):
    image = draw(drawing, ("image", {"open": "halves.png"}, 10, 10, 60, 40), ("image", {"bytes": "halves.png"}, 80, 0))
    assert image.getpixel((12, 30)) == BLUE and image.getpixel((68, 30)) == RED and image.getpixel((5, 5)) == WHITE
    assert image.getpixel((85, 50)) == BLUE  # the bytes, at their own size, cut off at the edge
    into = drawing.client.post(drawing.service.bot("/into"))
    mixed = Image.open(io.BytesIO(into.content))
    assert mixed.size == (300, 200) and mixed.getpixel((150, 100)) == WHITE and mixed.getpixel((10, 10)) == BLUE
    assert mixed.getpixel((131, 81)) == BLUE  # the badge's transparent corner left the image as it was


def test_encoding_saving_and_limits(drawing):
    jpeg = drawing.client.post(drawing.service.bot("/draw"), json={"width": 64, "height": 32, "background": "#336699", "format": "jpeg"})
    decoded = Image.open(io.BytesIO(jpeg.content))
    assert decoded.format == "JPEG" and decoded.size == (64, 32) and near(decoded.getpixel((30, 15)), (0x33, 0x66, 0x99), 3)
    saved = drawing.client.post(drawing.service.bot("/draw"), json={"width": 30, "height": 30, "background": "gold", "save": "art/gold.webp"}).json()
    assert saved["entry"]["path"] == "art/gold.webp"
    stored = drawing.client.get(drawing.service.api("/storage/content"), params={"path": "art/gold.webp"}, headers=drawing.service.headers)
    assert Image.open(io.BytesIO(stored.content)).format == "WEBP"
    huge = draw_error(drawing, width=30_000, height=30_000)
    assert huge["code"] == "image_too_large" and "the canvas" in huge["message"]
    assert "width must be a whole number" in draw_error(drawing, width=0)["message"]
