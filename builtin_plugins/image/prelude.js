// $image: images held on the host (binding.py) and worked on by handle id; only the encoded
// bytes of open(bytes) and toBytes() cross, as base64 in chunks of data.chunk bytes. Runs as
// the body of function (kernel, data). Every operation is a Promise resolving to the same
// handle, whose width/height/mode follow what the host answered.
'use strict';
const Bytes = Uint8Array;
const freeze = Object.freeze;
const chunk = data.chunk;
// Bytes cross in chunks through the kernel (the binding offers the blob operations).
const sendBytes = (bytes) => kernel.blobs.send(bytes, chunk);
const receiveBytes = (encoded) => kernel.blobs.receive(encoded);

// An image or a $draw canvas (both are handles of the host's one store; it checks the id).
const idOf = (name, value) => {
  const id = value !== null && typeof value === 'object' ? value.id : undefined;
  if (typeof id !== 'number') { throw new TypeError('$image.' + name + ': expected an image from $image.open (or a $draw canvas)'); }
  return id;
};

const makeImage = (first) => {
  let info = first;
  const run = async (op, ...args) => { info = await kernel.callAsync(op, info.id, ...args); return image; };
  const image = freeze({
    get id() { return info.id; },
    get width() { return info.width; },
    get height() { return info.height; },
    get format() { return info.format; },
    get mode() { return info.mode; },
    resize: (width, height, options) => run('resize', width, height === undefined ? null : height, options || {}),
    crop: (x, y, width, height) => run('crop', x, y, width, height),
    thumbnail: (width, height) => run('thumbnail', width, height),
    rotate: (degrees) => run('rotate', degrees),
    flip: (direction = 'h') => run('flip', direction),
    grayscale: () => run('grayscale'),
    blur: (radius = 2) => run('blur', radius),
    convert: (mode) => run('convert', mode),
    composite: (other, x = 0, y = 0) => run('composite', idOf('composite', other), x, y),
    clone: async () => makeImage(await kernel.callAsync('clone', info.id)),
    toBytes: async (format = 'png', options) => receiveBytes(await kernel.callAsync('encode', info.id, format, options || {})),
    save: async (path, options) => {
      if (typeof path !== 'string') { throw new TypeError('$image save: the path must be a string'); }
      return kernel.callAsync('save', info.id, path, options || {});
    },
    close: () => { kernel.call('close', info.id); },
  });
  return image;
};

const open = async (source) => {
  if (typeof source === 'string') { return makeImage(await kernel.callAsync('openPath', source)); }
  if (source instanceof Bytes) { return makeImage(await kernel.callAsync('openBytes', await sendBytes(source))); }
  throw new TypeError('$image.open: a path in $storage (string) or the image\'s bytes (Uint8Array), got ' + (source === null ? 'null' : typeof source));
};

globalThis.$image = freeze({ open });
