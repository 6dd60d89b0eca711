import { describe, expect, it } from 'vitest';

import { pixTxid } from './brcode';

const field = (id: string, value: string) => `${id}${String(value.length).padStart(2, '0')}${value}`;

describe('pixTxid', () => {
  it('reads the transaction id from additional data', () => {
    const payload =
      field('00', '01') + field('26', field('00', 'br.gov.bcb.pix') + field('01', 'key')) +
      field('54', '10.00') + field('62', field('05', 'TS123abc')) + '6304ABCD';
    expect(pixTxid(payload)).toBe('TS123abc');
  });
  it('says none for a static code', () => {
    expect(pixTxid(field('00', '01') + field('62', field('05', '***')))).toBeNull();
  });
});
