import { describe, expect, it } from 'vitest';

import { unitPrice } from './pricing';

describe('unitPrice', () => {
  it('halves meia-entrada and rounds up', () => {
    expect(unitPrice(10001, 'half')).toBe(5001);
    expect(unitPrice(10000, 'full')).toBe(10000);
    expect(unitPrice(10000, 'courtesy')).toBe(0);
  });
});
