// $delayed.run(fn, { delayMs }): fn runs after the delay, on a pool of data.poolSize tasks at
// once (the rest wait in a queue, first come first served). Runs as the body of
// function (kernel, data). The returned Promise is the task's result; a task that throws is
// logged with its stack whether or not anyone awaits it, and never takes the service down.
const poolSize = data.poolSize;
const queue = [];
let running = 0;
let lastId = 0;

const describe = (value) => (value === null ? 'null' : typeof value === 'string' ? JSON.stringify(value) : typeof value + ' ' + String(value));
const stackOf = (e) => {
  if (e && e.message !== undefined) { return String(e.name || 'Error') + ': ' + String(e.message) + (e.stack ? '\n' + String(e.stack).trimEnd() : ''); }
  return 'thrown: ' + String(e);
};

const execute = async (task) => {
  running += 1;
  try {
    task.resolve(await task.fn());
  } catch (e) {
    kernel.log('ERROR', '$delayed task ' + task.id + ' failed: ' + stackOf(e));
    task.reject(e);
  } finally {
    running -= 1;
    pump();
  }
};
const pump = () => {
  while (running < poolSize && queue.length) { execute(queue.shift()); }
};

const run = (fn, options) => {
  if (typeof fn !== 'function') { throw new TypeError('$delayed.run: fn must be a function, got ' + describe(fn)); }
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError('$delayed.run: options must be an object like { delayMs: 1000 }, got ' + describe(options));
  }
  const delayMs = options && options.delayMs !== undefined ? options.delayMs : 0;
  if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
    throw new TypeError('$delayed.run: options.delayMs must be a number of milliseconds >= 0, got ' + describe(delayMs));
  }
  const id = ++lastId;
  const result = new Promise((resolve, reject) => {
    setTimeout(() => { queue.push({ id, fn, resolve, reject }); pump(); }, delayMs);
  });
  result.catch(() => {});  // handled here (logged in execute): an unawaited failure is no unhandled rejection
  return result;
};

// Tasks running or queued keep the service awake (those in their delay are pending timers).
kernel.onCall('pending', () => running + queue.length);

globalThis.$delayed = Object.freeze({
  run,
  /** How many tasks run at most at once (settings delayed.pool_size). */
  poolSize,
  /** Tasks running now, and waiting for a place in the pool (not those still in their delay). */
  stats: () => ({ running, queued: queue.length }),
});
