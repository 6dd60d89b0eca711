// What the buyer sees before paying: the server prices the order again and refuses a
// different total (price_changed), so this must follow the same rules
// (catalog TicketType.price_for): half price rounds up, courtesy is free.
import type { TicketKind } from '@/lib/api/generated';

export function unitPrice(levelAmountMinor: number, kind: TicketKind): number {
  if (kind === 'half') return Math.ceil(levelAmountMinor / 2);
  if (kind === 'courtesy') return 0;
  return levelAmountMinor;
}
