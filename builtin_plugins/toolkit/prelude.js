// $encoding and $strings (pure JS) and $crypto (hashes, hmac and randomness on the host).
// Runs as the body of function (kernel, data). Bytes cross to the host as base64 text only.
const config = data;  // { algorithms, maxRandomBytes } from binding.py

// -- helpers: what a value is, bytes <-> text -------------------------------------------------
const describe = (value) => {
  if (value === null) { return 'null'; }
  if (Array.isArray(value)) { return 'an array'; }
  if (value instanceof Uint8Array) { return 'a Uint8Array'; }
  if (typeof value === 'string') { return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value); }
  return typeof value === 'object' ? 'an object' : typeof value + (typeof value === 'function' ? '' : ' ' + String(value));
};
const fail = (where, arg, expected, value) => new TypeError(where + ': ' + arg + ' must be ' + expected + ', got ' + describe(value));
const needString = (where, arg, value) => {
  if (typeof value !== 'string') { throw fail(where, arg, 'a string', value); }
  return value;
};
const binaryToBytes = kernel.bytes.bytesOf;
const bytesToBinary = (bytes) => kernel.bytes.binaryOf(bytes, 0, bytes.length);
const utf8Encode = (where, arg, text) => {
  try { return kernel.bytes.encodeUtf8(text); } catch (e) {
    throw new TypeError(where + ': ' + arg + ' is not valid Unicode text (a lone surrogate?)');
  }
};
const utf8Decode = (where, bytes) => {
  try { return kernel.bytes.decodeUtf8(bytes); } catch (e) {
    throw new TypeError(where + ': the data is not UTF-8 text; ask for { as: \'bytes\' }');
  }
};
// A string (as UTF-8) or binary data -> Uint8Array.
const toBytes = (where, arg, value) => {
  if (typeof value === 'string') { return utf8Encode(where, arg, value); }
  if (value instanceof Uint8Array) { return value; }
  if (value instanceof ArrayBuffer) { return new Uint8Array(value); }
  if (ArrayBuffer.isView(value)) { return new Uint8Array(value.buffer, value.byteOffset, value.byteLength); }
  throw fail(where, arg, 'a string or a Uint8Array', value);
};
const decodedAs = (where, options) => {
  const as = options === undefined || options === null ? 'text' : options.as === undefined ? 'text' : options.as;
  if (as !== 'text' && as !== 'bytes') { throw new TypeError(where + ": options.as must be 'text' or 'bytes', got " + describe(as)); }
  return as;
};

// -- $encoding ---------------------------------------------------------------------------------
const base64Encode = (data, options) => {
  const text = btoa(bytesToBinary(toBytes('$encoding.base64Encode', 'data', data)));
  return options && options.urlSafe ? text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : text;
};
const base64ToBytes = (where, text) => {
  needString(where, 'text', text);
  let clean = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.replace(/=+$/, '').length % 4 === 1
      || (clean.includes('=') && clean.length % 4 !== 0)) {
    throw new TypeError(where + ': text is not base64');
  }
  clean = clean.replace(/=+$/, '');
  return binaryToBytes(atob(clean + '='.repeat((4 - clean.length % 4) % 4)));
};
const base64Decode = (text, options) => {
  const where = '$encoding.base64Decode';
  const as = decodedAs(where, options);
  const bytes = base64ToBytes(where, text);
  return as === 'bytes' ? bytes : utf8Decode(where, bytes);
};
const HEX = '0123456789abcdef';
const hexEncode = (data) => {
  const bytes = toBytes('$encoding.hexEncode', 'data', data);
  let out = '';
  for (const b of bytes) { out += HEX[b >> 4] + HEX[b & 15]; }
  return out;
};
const hexDecode = (text, options) => {
  const where = '$encoding.hexDecode';
  const as = decodedAs(where, options);
  needString(where, 'text', text);
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) { throw new TypeError(where + ': text is not hex (pairs of 0-9a-f)'); }
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) { bytes[i] = parseInt(text.substr(i * 2, 2), 16); }
  return as === 'bytes' ? bytes : utf8Decode(where, bytes);
};
const encodeComponent = (where, text) => {
  try { return encodeURIComponent(text); } catch (e) { throw new TypeError(where + ': value is not valid Unicode text (a lone surrogate?)'); }
};
const urlEncode = (value) => {
  const where = '$encoding.urlEncode';
  if (typeof value === 'string') { return encodeComponent(where, value); }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) { throw fail(where, 'value', 'a string or an object of query parameters', value); }
  const pairs = [];
  for (const [key, item] of Object.entries(value)) {
    for (const one of Array.isArray(item) ? item : [item]) {
      if (one === undefined || one === null) { continue; }
      pairs.push(encodeComponent(where, key) + '=' + encodeComponent(where, String(one)));
    }
  }
  return pairs.join('&');
};
const urlDecode = (text) => {
  needString('$encoding.urlDecode', 'text', text);
  try { return decodeURIComponent(text); } catch (e) { throw new TypeError('$encoding.urlDecode: text is not valid percent-encoding'); }
};

// -- $strings ----------------------------------------------------------------------------------
const WORD = /\p{Lu}+(?=\p{Lu}\p{Ll})|\p{Lu}?\p{Ll}+|\p{Lu}+|\p{N}+|\p{L}+/gu;
const wordsOf = (where, text) => needString(where, 'text', text).match(WORD) || [];
const words = (text) => wordsOf('$strings.words', text);
const upperFirst = (word) => { const [first = '', ...rest] = word; return first.toUpperCase() + rest.join(''); };
const capitalize = (text) => upperFirst(needString('$strings.capitalize', 'text', text));
const camelCase = (text) => wordsOf('$strings.camelCase', text).map((w, i) => (i ? upperFirst(w.toLowerCase()) : w.toLowerCase())).join('');
const pascalCase = (text) => wordsOf('$strings.pascalCase', text).map((w) => upperFirst(w.toLowerCase())).join('');
const kebabCase = (text) => wordsOf('$strings.kebabCase', text).map((w) => w.toLowerCase()).join('-');
const snakeCase = (text) => wordsOf('$strings.snakeCase', text).map((w) => w.toLowerCase()).join('_');
const TRANSLIT = {
  'ß': 'ss', 'æ': 'ae', 'Æ': 'AE', 'ø': 'o', 'Ø': 'O', 'đ': 'd', 'Đ': 'D', 'ł': 'l', 'Ł': 'L', 'œ': 'oe', 'Œ': 'OE', 'þ': 'th', 'ð': 'd',
  'а': 'a', 'б': 'b', 'в': 'v', 'г': 'g', 'д': 'd', 'е': 'e', 'ё': 'e', 'ж': 'zh', 'з': 'z', 'и': 'i', 'й': 'y', 'к': 'k',
  'л': 'l', 'м': 'm', 'н': 'n', 'о': 'o', 'п': 'p', 'р': 'r', 'с': 's', 'т': 't', 'у': 'u', 'ф': 'f', 'х': 'h', 'ц': 'ts',
  'ч': 'ch', 'ш': 'sh', 'щ': 'sch', 'ъ': '', 'ы': 'y', 'ь': '', 'э': 'e', 'ю': 'yu', 'я': 'ya', 'і': 'i', 'ї': 'yi', 'є': 'ye', 'ґ': 'g',
};
const slugify = (text, options) => {
  const where = '$strings.slugify';
  needString(where, 'text', text);
  const separator = options && options.separator !== undefined ? needString(where, 'options.separator', options.separator) : '-';
  const latin = Array.from(text.normalize('NFKD').replace(/\p{M}/gu, ''), (ch) => {
    const lower = ch.toLowerCase();
    return TRANSLIT[ch] !== undefined ? TRANSLIT[ch] : TRANSLIT[lower] !== undefined ? TRANSLIT[lower] : ch;
  }).join('');
  const lowered = options && options.lowercase === false ? latin : latin.toLowerCase();
  return lowered.replace(/[^A-Za-z0-9]+/g, ' ').trim().split(' ').filter(Boolean).join(separator);
};
const needLength = (where, value) => {
  if (!Number.isInteger(value) || value < 0) { throw fail(where, 'length', 'a whole number >= 0', value); }
  return value;
};
const truncate = (text, length, options) => {
  const where = '$strings.truncate';
  needString(where, 'text', text);
  needLength(where, length);
  const suffix = options && options.suffix !== undefined ? needString(where, 'options.suffix', options.suffix) : '...';
  const chars = Array.from(text);
  if (chars.length <= length) { return text; }
  const room = Math.max(0, length - Array.from(suffix).length);
  let cut = chars.slice(0, room).join('');
  if (options && options.words) {
    const next = chars[room];
    if (next !== undefined && !/\s/.test(next)) { const at = cut.search(/\s\S*$/); if (at > 0) { cut = cut.slice(0, at); } }
    cut = cut.replace(/\s+$/, '');
  }
  return cut + suffix;
};
const padder = (name, native) => (value, length, fill) => {
  const where = '$strings.' + name;
  if (typeof value !== 'string' && typeof value !== 'number') { throw fail(where, 'value', 'a string or a number', value); }
  needLength(where, length);
  const with_ = fill === undefined ? ' ' : needString(where, 'fill', fill);
  if (with_ === '') { throw new TypeError(where + ': fill must not be empty'); }
  return native.call(String(value), length, with_);
};
const HTML = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text) => needString('$strings.escapeHtml', 'text', text).replace(/[&<>"']/g, (ch) => HTML[ch]);

// -- $crypto (the host computes) ----------------------------------------------------------------
const b64 = (bytes) => kernel.bytes.toBase64(bytes);
const needOutput = (where, output) => {
  const value = output === undefined ? 'hex' : output;
  if (value !== 'hex' && value !== 'base64') { throw new TypeError(where + ": output must be 'hex' or 'base64', got " + describe(value)); }
  return value;
};
const hash = (alg) => (data, output) => {
  const where = '$crypto.' + alg;
  return kernel.call('digest', alg, b64(toBytes(where, 'data', data)), needOutput(where, output));
};
const hmac = (alg, key, data, output) => {
  const where = '$crypto.hmac';
  if (!config.algorithms.includes(alg)) { throw new TypeError(where + ': alg must be one of ' + config.algorithms.join(', ') + ', got ' + describe(alg)); }
  return kernel.call('hmac', alg, b64(toBytes(where, 'key', key)), b64(toBytes(where, 'data', data)), needOutput(where, output));
};
const timingSafeEqual = (a, b) => kernel.call('equal', b64(toBytes('$crypto.timingSafeEqual', 'a', a)), b64(toBytes('$crypto.timingSafeEqual', 'b', b)));
const randomBytes = (n) => {
  if (!Number.isInteger(n)) { throw fail('$crypto.randomBytes', 'n', 'a whole number', n); }
  if (n < 0 || n > config.maxRandomBytes) { throw new RangeError('$crypto.randomBytes: n must be from 0 to ' + config.maxRandomBytes + ', got ' + n); }
  return binaryToBytes(atob(kernel.call('randomBytes', n)));
};

globalThis.$encoding = Object.freeze({ base64Encode, base64Decode, hexEncode, hexDecode, urlEncode, urlDecode });
globalThis.$strings = Object.freeze({
  slugify, truncate, capitalize, camelCase, pascalCase, kebabCase, snakeCase, words,
  padStart: padder('padStart', String.prototype.padStart), padEnd: padder('padEnd', String.prototype.padEnd), escapeHtml,
});
globalThis.$crypto = Object.freeze({
  md5: hash('md5'), sha1: hash('sha1'), sha256: hash('sha256'), sha512: hash('sha512'),
  hmac, timingSafeEqual, uuid: () => kernel.call('uuid'), randomBytes,
});
