import { describe, expect, it } from 'vitest';

import { base32Decode, hotp, liveCodeAt, secondsToNextStep, stepAt } from './liveCode';

// RFC 6238 appendix B: the SHA-1 seed "12345678901234567890".
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('live code', () => {
  it('decodes base32', () => {
    expect(new TextDecoder().decode(base32Decode(RFC_SECRET))).toBe('12345678901234567890');
    expect(() => base32Decode('abc1')).toThrow();
  });

  it('matches the RFC 6238 test vectors', async () => {
    const secret = base32Decode(RFC_SECRET);
    // T = 59 s, 1111111109 s and 20000000000 s with 30-s steps.
    expect(await hotp(secret, 1, 8)).toBe('94287082');
    expect(await hotp(secret, Math.floor(1111111109 / 30), 8)).toBe('07081804');
    expect(await hotp(secret, Math.floor(20000000000 / 30), 8)).toBe('65353130');
  });

  it('changes on each 15-second step and counts down to it', () => {
    expect(stepAt(14_999, 15)).toBe(0);
    expect(stepAt(15_000, 15)).toBe(1);
    expect(secondsToNextStep(15_000, 15)).toBe(15);
    expect(secondsToNextStep(15_001, 15)).toBe(15);
    expect(secondsToNextStep(28_999, 15)).toBe(2);
    expect(secondsToNextStep(29_000, 15)).toBe(1);
    expect(secondsToNextStep(29_999, 15)).toBe(1);
  });

  it('builds code~otp, the same within a step and different in the next', async () => {
    const live = { code: 'TS1.abc.def', secret_b32: RFC_SECRET, step_s: 15, digits: 6 };
    const first = await liveCodeAt(live, 15_000);
    // Step 1 is HOTP counter 1: RFC 4226's 6-digit value, as the server's codes.totp.
    expect(first).toBe('TS1.abc.def~287082');
    expect(await liveCodeAt(live, 29_999)).toBe(first);
    expect(await liveCodeAt(live, 30_000)).not.toBe(first);
  });
});
