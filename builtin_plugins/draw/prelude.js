// $draw: canvases held on the host (binding.py; they are images of $image's store) drawn on by
// id. Shapes and text are synchronous and return the canvas, so calls chain; image(), toBytes()
// and save() are Promises. Bytes cross as base64 in chunks of data.chunk bytes. Runs as the
// body of function (kernel, data).
'use strict';
const Bytes = Uint8Array;
const freeze = Object.freeze;
const chunk = data.chunk;
// Bytes cross in chunks through the kernel (the binding offers the blob operations).
const sendBytes = (bytes) => kernel.blobs.send(bytes, chunk);
const receiveBytes = (encoded) => kernel.blobs.receive(encoded);

const sourceOf = (source) => {
  if (source instanceof Bytes) { return { blob: sendBytes(source) }; }
  if (source !== null && typeof source === 'object' && typeof source.id === 'number') { return { handle: source.id }; }
  throw new TypeError('$draw image: an image from $image.open, another canvas, or the bytes of an image (Uint8Array)');
};

const makeCanvas = (info) => {
  const id = info.id;
  const draw = (op, ...args) => { kernel.call(op, id, ...args); return canvas; };
  const canvas = freeze({
    id, width: info.width, height: info.height,
    rect: (x, y, width, height, style) => draw('rect', x, y, width, height, style),
    roundedRect: (x, y, width, height, radius, style) => draw('roundedRect', x, y, width, height, radius, style),
    circle: (cx, cy, r, style) => draw('circle', cx, cy, r, style),
    ellipse: (cx, cy, rx, ry, style) => draw('ellipse', cx, cy, rx, ry, style),
    line: (x1, y1, x2, y2, options) => draw('line', x1, y1, x2, y2, options),
    polygon: (points, style) => draw('polygon', points, style),
    arc: (cx, cy, r, start, end, options) => draw('arc', cx, cy, r, start, end, options),
    text: (x, y, text, options) => draw('text', x, y, text, options),
    measureText: (text, options) => kernel.call('measureText', text, options),
    image: async (source, x = 0, y = 0, width, height) => {
      await kernel.callAsync('image', id, sourceOf(source), x, y, width, height);
      return canvas;
    },
    toBytes: async (format = 'png', options) => receiveBytes(await kernel.callAsync('encode', id, format, options)),
    save: async (path, options) => {
      if (typeof path !== 'string') { throw new TypeError('$draw save: the path must be a string'); }
      return kernel.callAsync('save', id, path, options);
    },
    close: () => { kernel.call('close', id); },
  });
  return canvas;
};

globalThis.$draw = freeze({
  canvas: (width, height, options) => makeCanvas(kernel.call('canvas', width, height, options)),
  measureText: (text, options) => kernel.call('measureText', text, options),
});
