// $goals.increment(slug, value = 1) and $goals.get(slug, { from, to }): both Promises, on the
// host operations of binding.py. Runs as the body of function (kernel, data).
// A refusal (unknown goal, a goal this project may not write to, a bad value) is a rejected
// Promise whose message names the call; its code, status and fields are the host's.
// Builtins taken before the service's code runs (it may replace them later).
const DateClass = Date;
const ErrorClass = Error;
const toIso = Date.prototype.toISOString;
const apply = Reflect.apply;
const stringify = JSON.stringify;

const dayText = (value) => (value instanceof DateClass ? apply(toIso, value, []).slice(0, 10) : value);
const describe = (slug) => (typeof slug === 'string' ? stringify(slug) : typeof slug);
const named = (where, e) => {
  const error = new ErrorClass(where + ': ' + (e && e.message !== undefined ? e.message : e));
  if (e && typeof e === 'object') { for (const key of ['code', 'status', 'fields']) { if (key in e) { error[key] = e[key]; } } }
  return error;
};

const increment = async (slug, value = 1) => {
  try {
    return await kernel.callAsync('increment', slug, value);
  } catch (e) { throw named('$goals.increment(' + describe(slug) + ')', e); }
};

const get = async (slug, options) => {
  const period = options === undefined || options === null ? {} : options;
  if (typeof period !== 'object') { throw new TypeError('$goals.get: options must be an object like { from, to }'); }
  try {
    // from and to as separate values: primitives cross as they are, whatever toJSON a service set.
    return await kernel.callAsync('get', slug, dayText(period.from), dayText(period.to));
  } catch (e) { throw named('$goals.get(' + describe(slug) + ')', e); }
};

globalThis.$goals = Object.freeze({ increment, get });
