import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { leadingZeroBits, solve } from './pow';

describe('proof of work', () => {
  it('counts leading zero bits', () => {
    expect(leadingZeroBits(new Uint8Array([0, 0, 0x1f, 0xff]))).toBe(19);
    expect(leadingZeroBits(new Uint8Array([0x80]))).toBe(0);
    expect(leadingZeroBits(new Uint8Array([0, 0]))).toBe(16);
  });

  it('finds the smallest nonce the server accepts', async () => {
    const challenge = 'evt_1.user_1.abc';
    const solution = await solve(challenge, 10);
    const ok = (n: string) =>
      leadingZeroBits(createHash('sha256').update(`${challenge}:${n}`).digest()) >= 10;
    expect(ok(solution)).toBe(true);
    for (let n = 0; n < Number(solution); n += 1) expect(ok(String(n))).toBe(false);
  });
});
