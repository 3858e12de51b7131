import { expect } from 'chai';
import { changePercent, DateRangeError, resolveRange } from '../src/lib/date-range.js';

/** Analytics date ranges (issue 13, item 2): India days, and the previous period of the same length. */
describe('analytics date ranges in India time', () => {
  // 2026-11-30T20:00Z is already 1 December, 01:30, in India.
  const lateNightUtc = new Date('2026-11-30T20:00:00Z');
  const now = new Date('2026-11-24T10:00:00Z'); // 15:30 IST

  it('a day is an India day: 18:30 UTC the evening before to 18:30 UTC', () => {
    const r = resolveRange({ range: 'today' }, lateNightUtc);
    expect(r).to.include({ from: '2026-12-01', to: '2026-12-01', preset: 'today', label: 'Today' });
    expect(r.start.toISOString()).to.equal('2026-11-30T18:30:00.000Z');
    expect(r.end.toISOString()).to.equal('2026-12-01T18:30:00.000Z');
    expect(r.previous).to.include({ from: '2026-11-30', to: '2026-11-30' });
  });

  it('presets: yesterday, last 7/30/90 days (today included), this month, last month', () => {
    const pick = (range: string) => {
      const r = resolveRange({ range }, now);
      return [r.from, r.to, r.days.length, r.previous.from, r.previous.to];
    };
    expect(pick('yesterday')).to.deep.equal(['2026-11-23', '2026-11-23', 1, '2026-11-22', '2026-11-22']);
    expect(pick('7d')).to.deep.equal(['2026-11-18', '2026-11-24', 7, '2026-11-11', '2026-11-17']);
    expect(pick('30d')).to.deep.equal(['2026-10-26', '2026-11-24', 30, '2026-09-26', '2026-10-25']);
    expect(pick('90d')).to.deep.equal(['2026-08-27', '2026-11-24', 90, '2026-05-29', '2026-08-26']);
    expect(pick('this-month')).to.deep.equal(['2026-11-01', '2026-11-24', 24, '2026-10-08', '2026-10-31']);
    expect(pick('last-month')).to.deep.equal(['2026-10-01', '2026-10-31', 31, '2026-08-31', '2026-09-30']);
    // Unknown or missing: the last 30 days.
    expect(resolveRange({}, now).preset).to.equal('30d');
    expect(resolveRange({ range: 'forever' }, now).preset).to.equal('30d');
  });

  it('custom ranges: inclusive, checked, at most 366 days', () => {
    const r = resolveRange({ range: 'custom', from: '2026-02-27', to: '2026-03-02' }, now);
    expect(r.days).to.deep.equal(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    expect(r.previous).to.include({ from: '2026-02-23', to: '2026-02-26' });
    const bad: [Record<string, string>, string][] = [
      [{ range: 'custom', to: '2026-03-02' }, 'from'],
      [{ range: 'custom', from: '2026-02-30', to: '2026-03-02' }, 'from'],
      [{ range: 'custom', from: '2026-03-02', to: '2026-03-01' }, 'to'],
      [{ range: 'custom', from: '2025-01-01', to: '2026-03-01' }, 'to'],
      [{ range: 'custom', from: '2026-03-01', to: 'soon' }, 'to'],
    ];
    for (const [input, field] of bad) {
      expect(() => resolveRange(input, now), JSON.stringify(input)).to.throw(DateRangeError).with.property('field', field);
    }
  });

  it('change against the previous period, in whole percent', () => {
    expect(changePercent(150, 100)).to.equal(50);
    expect(changePercent(50, 100)).to.equal(-50);
    expect(changePercent(0, 0)).to.equal(0);
    expect(changePercent(5, 0)).to.equal(undefined);
  });
});
