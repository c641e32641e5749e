// $hello, built in JS on the host operations of binding.py. Runs as the body of
// function (kernel, data) before the service's code; what it exposes is frozen.
'use strict';
const greet = (name) => {
  if (typeof name !== 'string') { throw new TypeError('$hello.greet: name must be a string, got ' + typeof name); }
  return kernel.call('greet', name);  // a synchronous host call: no Promise
};
globalThis.$hello = Object.freeze({ greet, greeting: data.greeting });
