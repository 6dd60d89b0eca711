import { describe, expect, it } from 'vitest';

import { clock, describeRemaining, remaining } from './time';

describe('countdown', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  it('says on sale in 3 h 12 min', () => {
    expect(describeRemaining(remaining(now + (3 * 3600 + 12 * 60 + 30) * 1000, now))).toBe('3 h 12 min');
  });
  it('counts days for far dates', () => {
    expect(describeRemaining(remaining(now + (2 * 86400 + 5 * 3600) * 1000, now))).toBe('2 d 5 h');
  });
  it('never goes below zero once the moment passed', () => {
    const r = remaining(now - 5000, now);
    expect(r.totalSeconds).toBe(0);
    expect(clock(r)).toBe('00:00');
  });
  it('shows a hold clock as minutes and seconds', () => {
    expect(clock(remaining(now + 7 * 60_000 + 9_000, now))).toBe('07:09');
  });
});
