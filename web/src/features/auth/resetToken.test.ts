import { describe, expect, it } from 'vitest';

import { tokenFromHash } from './resetToken';

describe('tokenFromHash', () => {
  it('reads the token of the e-mailed link', () => {
    expect(tokenFromHash('#token=pr_abcdefghijk-_')).toBe('pr_abcdefghijk-_');
    expect(tokenFromHash('token=pr_abcdefghijk')).toBe('pr_abcdefghijk');
  });

  it('has none without one, or with a truncated one', () => {
    expect(tokenFromHash('')).toBeNull();
    expect(tokenFromHash('#other=1')).toBeNull();
    expect(tokenFromHash('#token=short')).toBeNull();
  });
});
