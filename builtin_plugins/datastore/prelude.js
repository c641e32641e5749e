// $database.<model>: a project's records, on the host operations of binding.py (the REST API's
// validation, filter grammar and revision guard). Runs as the body of function (kernel, data).
// Any property name is a model slug, looked up by the host on each call, so a model created
// while the service runs is there at once; an unknown one rejects with a 404 Error.
// A refusal rejects with an Error whose message names the call and which carries the host's
// code, status and fields (for a 422: { key: { code, message } } for every failing field).
'use strict';
const ErrorClass = Error;
const freeze = Object.freeze;
const ProxyClass = Proxy;
const includes = (text, part) => String.prototype.indexOf.call(text, part) !== -1;
// A slug starts with a letter: `__proto__`, `__class__` and the like are never models.
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;
const test = (pattern, text) => RegExp.prototype.test.call(pattern, text);

const named = (where, e) => {
  const error = new ErrorClass(where + ': ' + (e && e.message !== undefined ? e.message : e));
  if (e && typeof e === 'object') { for (const key of ['code', 'status', 'fields']) { if (key in e) { error[key] = e[key]; } } }
  return error;
};

const filterText = (where, filter) => {
  if (filter === undefined || filter === null) { return ''; }
  if (typeof filter !== 'string') { throw new TypeError(where + ': the filter must be a string like \'title ~ {:q}\''); }
  return filter;
};

const modelApi = (slug) => {
  const call = async (name, args) => {
    try { return await kernel.callAsync(name, slug, ...args); } catch (e) { throw named('$database.' + slug + '.' + name, e); }
  };
  const find = async (filter, second, third) => {
    const text = filterText('$database.' + slug + '.find', filter);
    // find(filter, params, options); with two arguments the second is the params when the
    // filter has {:name} placeholders, else the options.
    const params = third !== undefined || includes(text, '{:') ? second : undefined;
    const options = third !== undefined ? third : (params === undefined ? second : undefined);
    return call('find', [text, params === undefined ? null : params, options === undefined ? null : options]);
  };
  return freeze({
    insert: async (doc) => call('insert', [doc]),
    insertMany: async (docs) => call('insertMany', [docs]),
    get: async (id, options) => call('get', [id, options === undefined ? null : options]),
    find,
    findOne: async (filter, params) => call('findOne', [filterText('$database.' + slug + '.findOne', filter), params === undefined ? null : params]),
    update: async (id, patch, options) => call('update', [id, patch, options === undefined ? null : options]),
    delete: async (id) => { await call('delete', [id]); },
    count: async (filter, params) => call('count', [filterText('$database.' + slug + '.count', filter), params === undefined ? null : params]),
    attach: async (id, key, path) => call('attach', [id, key, path]),
  });
};

const models = new Map();
globalThis.$database = new ProxyClass(freeze({}), {
  get(target, name) {
    if (typeof name !== 'string' || !test(IDENTIFIER, name) || name === 'then') { return undefined; }
    if (!models.has(name)) { models.set(name, modelApi(name)); }
    return models.get(name);
  },
  set() { return false; },
  defineProperty() { return false; },
  deleteProperty() { return false; },
});
