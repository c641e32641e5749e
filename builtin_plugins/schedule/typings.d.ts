/** A registered job; it ends with the service's run. */
interface M3mScheduledJob {
  readonly id: string;
  /** e.g. "every 5m", "cron 0 9 * * 1", "daily at 00:00 UTC" */
  readonly description: string;
  /** The next fire time, ISO 8601 in UTC; null once cancelled or stopping. */
  nextRun(): string | null;
  /** Removes the job; false when it was already gone. */
  cancel(): boolean;
}

/**
 * Jobs run inside the service, in UTC, from the moment it starts until it stops. A job never
 * overlaps itself (a fire while its previous run is still going is skipped, with a warning);
 * a job that throws is logged with its stack and keeps its schedule. A bad schedule throws here.
 */
declare const $schedule: {
  /** Every day at 00:00 UTC. */
  daily(fn: () => void | Promise<void>): M3mScheduledJob;
  /** Every hour at minute 0. */
  hourly(fn: () => void | Promise<void>): M3mScheduledJob;
  /** A number and a unit (s, m, h, d), combinable: '30s', '5m', '1h30m'; 1s to 366d. */
  every(interval: string, fn: () => void | Promise<void>): M3mScheduledJob;
  /** minute hour day month weekday (0 or 7 = Sunday; names, ranges, lists, steps), or @hourly, @daily, @weekly, @monthly, @yearly. */
  cron(expression: string, fn: () => void | Promise<void>): M3mScheduledJob;
};
