import { describe, expect, it } from 'vitest';

import { formatMoney } from './money';

describe('formatMoney', () => {
  it('formats BRL for Brazil with a comma and the real sign', () => {
    expect(formatMoney(12345, 'BRL', 'pt-BR').replace(/\s/g, ' ')).toBe('R$ 123,45');
  });
  it('formats BRL in English with a point', () => {
    expect(formatMoney(12345, 'BRL', 'en')).toBe('R$123.45');
  });
  it('knows currencies without minor units', () => {
    expect(formatMoney(500, 'JPY', 'en')).toBe('¥500');
  });
});
