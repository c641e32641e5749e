// $storage: the project's files, on the host operations of binding.py. Runs as the body of
// function (kernel, data). Every call is a Promise; a refusal (a bad path, a missing file, the
// quota) rejects with the host's message, code, status and fields. Bytes cross as base64 in
// chunks of data.chunk bytes through handles that are always closed.
'use strict';
const Bytes = Uint8Array;
const ErrorClass = Error;
const chunk = data.chunk;
const { toBase64: bytesToBase64, fromBase64: base64ToBytes, encodeUtf8, decodeUtf8 } = kernel.bytes;
const pathText = (name, value) => {
  if (typeof value !== 'string') { throw new TypeError('$storage.' + name + ': the path must be a string, got ' + typeof value); }
  return value;
};
const asBytes = (name, value) => {
  if (typeof value === 'string') {
    try { return encodeUtf8(value); } catch (e) { throw new TypeError('$storage.' + name + ': ' + e.message); }
  }
  if (value instanceof Bytes) { return value; }
  throw new TypeError('$storage.' + name + ': data must be a string or a Uint8Array, got ' + (value === null ? 'null' : typeof value));
};

const readBytes = async (path) => {
  const opened = await kernel.callAsync('openRead', pathText('readBytes', path));
  try {
    const out = new Bytes(opened.size);
    let at = 0;
    for (;;) {
      const part = await kernel.callAsync('readChunk', opened.handle);
      if (part === null) { break; }
      const bytes = base64ToBytes(part);
      if (at + bytes.length > out.length) { throw new ErrorClass('$storage.readBytes: ' + path + ' grew while it was read'); }
      out.set(bytes, at);
      at += bytes.length;
    }
    return at === out.length ? out : out.slice(0, at);
  } finally { kernel.call('close', opened.handle); }
};

const read = async (path) => {
  const bytes = await readBytes(path);
  try { return decodeUtf8(bytes); } catch (e) { throw new ErrorClass('$storage.read: ' + path + ' is not UTF-8 text; use readBytes'); }
};

const write = async (path, content) => {
  const bytes = asBytes('write', content);
  const handle = await kernel.callAsync('openWrite', pathText('write', path));
  let done = false;
  try {
    for (let at = 0; at < bytes.length; at += chunk) {
      await kernel.callAsync('writeChunk', handle, bytesToBase64(bytes, at, Math.min(at + chunk, bytes.length)));
    }
    const entry = await kernel.callAsync('commit', handle);
    done = true;
    return entry;
  } finally { if (!done) { kernel.call('close', handle); } }
};

const append = async (path, content) => {
  const bytes = asBytes('append', content);
  let entry = null;
  for (let at = 0; at < bytes.length || entry === null; at += chunk) {
    entry = await kernel.callAsync('append', pathText('append', path), bytesToBase64(bytes, at, Math.min(at + chunk, bytes.length)));
  }
  return entry;
};

const two = (name) => async (from, to) => kernel.callAsync(name, pathText(name, from), pathText(name, to));
const one = (name) => async (path) => kernel.callAsync(name, pathText(name, path));

globalThis.$storage = Object.freeze({
  read, readBytes, write, append,
  list: async (dir = '', options = {}) => kernel.callAsync('list', pathText('list', dir), options),
  stat: one('stat'), exists: one('exists'), mkdir: one('mkdir'), delete: async (path) => { await kernel.callAsync('delete', pathText('delete', path)); },
  move: two('move'), copy: two('copy'),
  url: async (path, options = {}) => kernel.callAsync('url', pathText('url', path), options && options.expiresIn !== undefined ? options.expiresIn : null),
});
