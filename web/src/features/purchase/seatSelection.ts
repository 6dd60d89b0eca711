// Seat selection rules, kept apart from the SVG so they can be tested.
import type { SeatMapSeat, UnitStatus } from '@/lib/api/generated';

export function isSelectable(seat: SeatMapSeat, status: UnitStatus | undefined): boolean {
  return !seat.blocked && seat.price_level_id !== null && (status ?? 'available') === 'available';
}

/** Toggle a seat; refuses to go past the buyer's limit (returns the same set). */
export function toggleSeat(selected: readonly string[], seatId: string, limit: number): string[] {
  if (selected.includes(seatId)) return selected.filter((id) => id !== seatId);
  if (selected.length >= limit) return [...selected];
  return [...selected, seatId];
}

/** Drop from the selection whatever another buyer took meanwhile. */
export function stillAvailable(
  selected: readonly string[],
  statuses: Record<string, UnitStatus>,
): { kept: string[]; lost: string[] } {
  const kept: string[] = [];
  const lost: string[] = [];
  for (const id of selected) ((statuses[id] ?? 'available') === 'available' ? kept : lost).push(id);
  return { kept, lost };
}

export type Direction = 'left' | 'right' | 'up' | 'down';

/** Keyboard moves on the map: the nearest seat in that direction (screen coordinates). */
export function nearestSeat(
  seats: readonly SeatMapSeat[],
  from: SeatMapSeat,
  direction: Direction,
): SeatMapSeat | null {
  let best: SeatMapSeat | null = null;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const seat of seats) {
    const dx = seat.x - from.x;
    const dy = seat.y - from.y;
    const along = direction === 'left' ? -dx : direction === 'right' ? dx : direction === 'up' ? -dy : dy;
    const across = direction === 'left' || direction === 'right' ? Math.abs(dy) : Math.abs(dx);
    if (along <= 0) continue;
    const score = along + across * 3; // stay in the row (or column) when possible
    if (score < bestScore) {
      bestScore = score;
      best = seat;
    }
  }
  return best;
}
