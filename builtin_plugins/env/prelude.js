// $env.get(key, fallback?): the project's variables, typed as they were stored
// (string/text -> string, json -> its value, integer/float -> number, boolean -> boolean).
// Runs as the body of function (kernel, data); data.values is { KEY: JSON text } read at boot.
// The builtins are taken now, before the service's code runs, so a service that replaces
// JSON.parse or Object.hasOwn cannot change what $env answers.
const parse = JSON.parse;
const hasOwn = Object.hasOwn;
const toText = String;
const texts = data.values;

const get = (key, fallback) => {
  const name = toText(key);
  return hasOwn(texts, name) ? parse(texts[name]) : fallback;
};

globalThis.$env = Object.freeze({ get });
