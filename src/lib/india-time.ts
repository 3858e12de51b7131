/**
 * The store's clock face is India's: admins type and read times in IST, which is UTC+05:30 all
 * year (no daylight saving), while the database keeps instants (timestamptz).
 */
const IST_OFFSET_MS = 330 * 60_000;

/** "2026-11-01T18:30" typed in India (a datetime-local field) → the instant; undefined if not a real time. */
export function parseIstLocal(value: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const utc = Date.UTC(y, mo - 1, d, h, mi);
  const back = new Date(utc);
  // 31 Feb and 25:00 are refused rather than rolled over.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h || back.getUTCMinutes() !== mi) return undefined;
  return new Date(utc - IST_OFFSET_MS);
}

/** An instant as a datetime-local value in India time ("2026-11-01T18:30"). */
export function toIstLocal(at: Date): string {
  return new Date(at.getTime() + IST_OFFSET_MS).toISOString().slice(0, 16);
}

/** The instant a date ("2026-11-24") begins in India. */
export function istDayStart(date: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d) - IST_OFFSET_MS);
}

/** The India date ("2026-11-24") an instant falls on. */
export function istDayOf(at: Date): string {
  return new Date(at.getTime() + IST_OFFSET_MS).toISOString().slice(0, 10);
}

/** The date `n` days after (or before, negative) a date, as "YYYY-MM-DD". */
export function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** Whether "YYYY-MM-DD" is a real calendar date. */
export function isDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  return addDays(value, 0) === value;
}
