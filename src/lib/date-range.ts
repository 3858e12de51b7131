import { addDays, isDate, istDayOf, istDayStart } from './india-time.js';

/**
 * The date ranges every dashboard offers, with day boundaries in India time, and the previous
 * period of the same length each figure is compared with. Pure: `now` comes from the caller's
 * clock. A range is whole India days, `from` and `to` inclusive.
 */

export const RANGE_PRESETS = ['today', 'yesterday', '7d', '30d', '90d', 'this-month', 'last-month', 'custom'] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];

export const RANGE_LABELS: Record<RangePreset, string> = {
  today: 'Today',
  yesterday: 'Yesterday',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  '90d': 'Last 90 days',
  'this-month': 'This month',
  'last-month': 'Last month',
  custom: 'Custom',
};

/** The longest custom range: a year and a day (a leap year's whole year fits). */
export const MAX_RANGE_DAYS = 366;

export interface DaySpan {
  /** First India day, "YYYY-MM-DD". */
  from: string;
  /** Last India day, inclusive. */
  to: string;
  /** The instant `from` begins in India. */
  start: Date;
  /** The instant after `to` ends (exclusive). */
  end: Date;
  /** Every day of the span, in order. */
  days: string[];
}

export interface DateRange extends DaySpan {
  preset: RangePreset;
  label: string;
  /** The same number of days just before. */
  previous: DaySpan;
}

export class DateRangeError extends Error {
  constructor(
    readonly field: 'from' | 'to' | 'range',
    message: string,
  ) {
    super(message);
  }
}

function span(from: string, to: string): DaySpan {
  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
  return { from, to, start: istDayStart(from), end: istDayStart(addDays(to, 1)), days };
}

const monthStart = (day: string) => `${day.slice(0, 7)}-01`;

/** Resolves a preset (or a custom from/to) at `now` into India days and the period before it. */
export function resolveRange(input: { range?: string; from?: string; to?: string }, now: Date): DateRange {
  const preset = (RANGE_PRESETS as readonly string[]).includes(input.range ?? '') ? (input.range as RangePreset) : input.from || input.to ? 'custom' : '30d';
  const today = istDayOf(now);
  let from: string;
  let to = today;
  switch (preset) {
    case 'today':
      from = today;
      break;
    case 'yesterday':
      from = to = addDays(today, -1);
      break;
    case '7d':
      from = addDays(today, -6);
      break;
    case '30d':
      from = addDays(today, -29);
      break;
    case '90d':
      from = addDays(today, -89);
      break;
    case 'this-month':
      from = monthStart(today);
      break;
    case 'last-month':
      to = addDays(monthStart(today), -1);
      from = monthStart(to);
      break;
    case 'custom': {
      if (!input.from || !isDate(input.from)) throw new DateRangeError('from', 'Choose a start date.');
      if (!input.to || !isDate(input.to)) throw new DateRangeError('to', 'Choose an end date.');
      from = input.from;
      to = input.to;
      if (to < from) throw new DateRangeError('to', 'The end date must be on or after the start date.');
      if (span(from, to).days.length > MAX_RANGE_DAYS) throw new DateRangeError('to', `A range can be at most ${MAX_RANGE_DAYS} days.`);
      break;
    }
  }
  const current = span(from, to);
  const length = current.days.length;
  const previous = span(addDays(from, -length), addDays(from, -1));
  return { ...current, preset, label: preset === 'custom' ? `${from} – ${to}` : RANGE_LABELS[preset], previous };
}

/** The change from `before` to `now` as a whole percent (undefined when there was nothing before). */
export function changePercent(now: number, before: number): number | undefined {
  if (before === 0) return now === 0 ? 0 : undefined;
  return Math.round(((now - before) / Math.abs(before)) * 100);
}
