import { describe, expect, it } from 'vitest';

import { parseSse, retryAfterMs } from './sse';

describe('parseSse', () => {
  it('splits events, skips comments, keeps the unfinished tail', () => {
    const { messages, rest, retryMs } = parseSse(
      'retry: 3000\n\n: keep-alive\n\nevent: status\ndata: {"a":1}\n\nevent: status\ndata: {"a"',
    );
    expect(retryMs).toBe(3000);
    expect(messages).toEqual([{ event: 'status', data: '{"a":1}', id: undefined }]);
    expect(rest).toBe('event: status\ndata: {"a"');
  });
});

describe('retryAfterMs', () => {
  it('reads a number of seconds and nothing else', () => {
    expect(retryAfterMs('5')).toBe(5000);
    expect(retryAfterMs(' 12 ')).toBe(12000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('Wed, 21 Oct 2026 07:28:00 GMT')).toBeUndefined();
  });
});
