interface M3mGoalStatistics {
  /** All time for a counter; over the period for a daily counter. */
  total: number;
  /** Daily counters only: every day of the period (days with nothing are 0). */
  daily?: { date: string; value: number }[];
}

/**
 * The project's goals and the global goals it is allowed to write to. A goal is named by its
 * slug: the project's key ("signups" or "{project}-signups") or a global goal's key.
 * A goal the project may not write to rejects the Promise.
 */
declare const $goals: {
  /** Adds `value` (an integer, 1 by default); the counter's new value (today's, for a daily one). */
  increment(slug: string, value?: number): Promise<number>;
  /** The statistics over { from, to } (YYYY-MM-DD or Date; by default the last 30 days). */
  get(slug: string, period?: { from?: string | Date; to?: string | Date }): Promise<M3mGoalStatistics>;
};
