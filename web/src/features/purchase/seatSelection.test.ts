import { describe, expect, it } from 'vitest';

import type { SeatMapSeat } from '@/lib/api/generated';

import { isSelectable, nearestSeat, stillAvailable, toggleSeat } from './seatSelection';

function seat(id: string, x: number, y: number, extra: Partial<SeatMapSeat> = {}): SeatMapSeat {
  return {
    seat_id: id, section_id: 'A', row_label: String(y), seat_label: String(x), order: x,
    x, y, category: 'std', price_level_id: 'p1', accessibility: [], blocked: false, ...extra,
  };
}

describe('seat selection', () => {
  it('toggles seats up to the buyer limit', () => {
    expect(toggleSeat([], 'a', 2)).toEqual(['a']);
    expect(toggleSeat(['a', 'b'], 'c', 2)).toEqual(['a', 'b']);
    expect(toggleSeat(['a', 'b'], 'a', 2)).toEqual(['b']);
  });
  it('never offers blocked, unpriced, held or sold seats', () => {
    expect(isSelectable(seat('a', 0, 0), 'available')).toBe(true);
    expect(isSelectable(seat('a', 0, 0, { blocked: true }), 'available')).toBe(false);
    expect(isSelectable(seat('a', 0, 0, { price_level_id: null }), 'available')).toBe(false);
    expect(isSelectable(seat('a', 0, 0), 'held')).toBe(false);
    expect(isSelectable(seat('a', 0, 0), 'sold')).toBe(false);
  });
  it('tells which selected seats someone else took', () => {
    expect(stillAvailable(['a', 'b'], { a: 'held', b: 'available' })).toEqual({ kept: ['b'], lost: ['a'] });
  });
  it('moves along the row with the arrow keys, then to the next row', () => {
    const seats = [seat('r1s1', 0, 0), seat('r1s2', 10, 0), seat('r2s1', 0, 10), seat('r2s2', 10, 10)];
    expect(nearestSeat(seats, seats[0]!, 'right')?.seat_id).toBe('r1s2');
    expect(nearestSeat(seats, seats[0]!, 'down')?.seat_id).toBe('r2s1');
    expect(nearestSeat(seats, seats[0]!, 'left')).toBeNull();
  });
});
