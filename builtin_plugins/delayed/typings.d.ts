/** Background tasks on a pool: at most `poolSize` run at once (settings delayed.pool_size), the rest wait. */
declare const $delayed: {
  /**
   * Runs `fn` after `delayMs` (default 0) once the pool has room. The Promise is `fn`'s result;
   * awaiting it is optional: a task that throws is logged with its stack either way and the
   * service goes on. Tasks not yet run when the service stops are dropped.
   */
  run<T>(fn: () => T | Promise<T>, options?: { delayMs?: number }): Promise<Awaited<T>>;
  /** The pool's size. */
  readonly poolSize: number;
  /** Tasks running now, and queued for a place in the pool. */
  stats(): { running: number; queued: number };
};
