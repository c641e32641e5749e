// $schedule: the jobs live on the host (APScheduler, UTC); their functions stay here and the host
// calls back through kernel.onCall('fire'). Runs as the body of function (kernel, data).
const callbacks = new Map();
kernel.onCall('fire', async (id) => {
  const fn = callbacks.get(id);
  if (fn) { await fn(); }
});
// Jobs fire once the service starts, and stop first thing when it stops (before shutdown handlers).
kernel.onLifecycle('start', () => kernel.call('start'));
kernel.onLifecycle('shutdown', () => kernel.call('stop'));

const describe = (value) => (value === null ? 'null' : typeof value === 'string' ? JSON.stringify(value) : typeof value);
const register = (where, kind, spec, fn) => {
  if (spec !== null && typeof spec !== 'string') { throw new TypeError(where + ': the schedule must be a string, got ' + describe(spec)); }
  if (typeof fn !== 'function') { throw new TypeError(where + ': fn must be a function, got ' + describe(fn)); }
  const job = kernel.call('add', kind, spec);  // a bad schedule throws here, with the host's reason
  callbacks.set(job.id, fn);
  return Object.freeze({
    id: job.id,
    description: job.description,
    nextRun: () => kernel.call('next', job.id),
    cancel: () => { callbacks.delete(job.id); return kernel.call('cancel', job.id); },
  });
};

globalThis.$schedule = Object.freeze({
  daily: (fn) => register('$schedule.daily', 'daily', null, fn),
  hourly: (fn) => register('$schedule.hourly', 'hourly', null, fn),
  every: (interval, fn) => register('$schedule.every', 'every', interval, fn),
  cron: (expression, fn) => register('$schedule.cron', 'cron', expression, fn),
});
