// $http: outgoing requests through the worker's shared client (binding.py). Runs as the body of
// function (kernel, data). What cannot cross as JSON is made text here: a `json` body is
// serialised once (JSON.stringify, so 1 stays 1), binary bodies and parts cross as base64.
'use strict';
const Bytes = Uint8Array;
const ErrorClass = Error;
const stringify = JSON.stringify;
const parse = JSON.parse;
const freeze = Object.freeze;
const assign = Object.assign;
const { toBase64, fromBase64, encodeUtf8, decodeUtf8 } = kernel.bytes;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

const plainObject = (where, value) => {
  if (value === undefined || value === null) { return {}; }
  if (typeof value !== 'object' || Array.isArray(value)) { throw new TypeError(where + ': options must be an object'); }
  return value;
};

const wire = (where, options) => {
  const out = assign({}, options);
  if (out.json !== undefined) { out.jsonText = stringify(out.json); delete out.json; }
  if (out.body !== undefined && out.body !== null) {
    if (typeof out.body === 'string') { out.bodyText = out.body; }
    else if (out.body instanceof Bytes) { out.bodyBase64 = toBase64(out.body, 0, out.body.length); }
    else { throw new TypeError(where + ': body must be a string or a Uint8Array (use json for objects)'); }
  }
  delete out.body;
  if (out.multipart && typeof out.multipart === 'object') {
    const parts = {};
    for (const key of Object.keys(out.multipart)) {
      const part = out.multipart[key];
      if (part && typeof part === 'object' && part.content instanceof Bytes) {
        const copy = assign({}, part);
        copy.contentBase64 = toBase64(part.content, 0, part.content.length);
        delete copy.content;
        parts[key] = copy;
      } else { parts[key] = part; }
    }
    out.multipart = parts;
  }
  return out;
};

const answerOf = (answer) => {
  let bytes = answer.base64 === undefined ? null : fromBase64(answer.base64);
  let text = answer.text;
  const textOf = () => {
    if (text === undefined) {
      try { text = decodeUtf8(bytes); } catch (e) { throw new ErrorClass('$http: the body is not UTF-8 text; use bytes()'); }
    }
    return text;
  };
  const response = {
    status: answer.status, ok: answer.ok, headers: freeze(answer.headers), url: answer.url,
    get text() { return textOf(); },
    json() {
      try { return parse(textOf()); } catch (e) {
        throw assign(new ErrorClass('$http: the body of ' + answer.url + ' is not JSON: ' + e.message), { code: 'invalid_json', status: answer.status });
      }
    },
    bytes() {
      if (bytes === null) { bytes = encodeUtf8(text); }
      return bytes.slice();
    },
  };
  return freeze(response);
};

const request = async (options) => {
  const given = plainObject('$http.request', options);
  const response = answerOf(await kernel.callAsync('request', wire('$http.request', given)));
  if (given.responseType === 'json') { response.json(); }  // a body that is not JSON rejects the call
  return response;
};

const shortcut = (method) => async (url, options) => {
  if (typeof url !== 'string') { throw new TypeError('$http.' + method + ': the url must be a string'); }
  return request(assign({}, plainObject('$http.' + method, options), { method: method.toUpperCase(), url }));
};

const download = async (url, path, options) => {
  if (typeof url !== 'string') { throw new TypeError('$http.download: the url must be a string'); }
  if (typeof path !== 'string') { throw new TypeError('$http.download: the path must be a string'); }
  const answer = await kernel.callAsync('download', url, path, wire('$http.download', plainObject('$http.download', options)));
  return freeze({ status: answer.status, ok: answer.ok, headers: freeze(answer.headers), url: answer.url, file: freeze(answer.file) });
};

const api = { request, download };
for (const method of METHODS) { api[method] = shortcut(method); }
globalThis.$http = freeze(api);
