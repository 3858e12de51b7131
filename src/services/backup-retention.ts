import { addDays, istDayOf } from '../lib/india-time.js';

/** Grandfather-father-son: how many of the newest days, ISO weeks and months keep a backup. */
export interface RetentionPolicy {
  daily: number;
  weekly: number;
  monthly: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { daily: 7, weekly: 4, monthly: 12 };

/** The Monday ("YYYY-MM-DD") of the ISO week an India date falls in. */
export function isoWeekOf(day: string): string {
  const dow = new Date(`${day}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(day, -((dow + 6) % 7));
}

const monthsBack = (month: string, n: number) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 - n, 1)).toISOString().slice(0, 7);
};

/**
 * Which backups to keep, as a pure function of their times and now (India calendar):
 * the newest backup of each of the last `daily` days (today included), of each of the last
 * `weekly` ISO weeks (this week included) and of each of the last `monthly` months (this month
 * included). The newest backup of all is always kept (a store whose backups stopped a while ago
 * keeps its last one), and so is any backup dated after now (a clock that went back deletes
 * nothing). Returns the kept times as epoch milliseconds.
 */
export function backupsToKeep(times: readonly Date[], now: Date, policy: RetentionPolicy = DEFAULT_RETENTION): Set<number> {
  const keep = new Set<number>();
  const past = times.filter((t) => t.getTime() <= now.getTime()).sort((a, b) => b.getTime() - a.getTime());
  for (const t of times) if (t.getTime() > now.getTime()) keep.add(t.getTime());
  if (past.length) keep.add(past[0]!.getTime());

  const today = istDayOf(now);
  const days = new Set(Array.from({ length: policy.daily }, (_, i) => addDays(today, -i)));
  const thisWeek = isoWeekOf(today);
  const weeks = new Set(Array.from({ length: policy.weekly }, (_, i) => addDays(thisWeek, -7 * i)));
  const thisMonth = today.slice(0, 7);
  const months = new Set(Array.from({ length: policy.monthly }, (_, i) => monthsBack(thisMonth, i)));

  const seen = { day: new Set<string>(), week: new Set<string>(), month: new Set<string>() };
  // Newest first: the first backup met in a bucket is that bucket's newest.
  for (const t of past) {
    const day = istDayOf(t);
    const buckets: [keyof typeof seen, string, Set<string>][] = [
      ['day', day, days],
      ['week', isoWeekOf(day), weeks],
      ['month', day.slice(0, 7), months],
    ];
    for (const [kind, bucket, window] of buckets) {
      if (window.has(bucket) && !seen[kind].has(bucket)) {
        seen[kind].add(bucket);
        keep.add(t.getTime());
      }
    }
  }
  return keep;
}
