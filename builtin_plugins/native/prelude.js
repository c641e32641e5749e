// The native plugins this service may use (binding.py loaded them): `$<name>.<function>(...args)`
// for each function of each library's manifest, a Promise of the parsed JSON result. A failed
// call rejects with code 'plugin_error'. Runs as the body of function (kernel, data).
'use strict';
const freeze = Object.freeze;
for (const plugin of data.plugins) {
  const api = {};
  for (const name of plugin.functions) {
    api[name] = async (...args) => kernel.callAsync('call', plugin.name, name, args);
  }
  Object.defineProperty(globalThis, '$' + plugin.name, { value: freeze(api), enumerable: false, configurable: true, writable: true });
}
