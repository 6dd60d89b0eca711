// Every mutating request carries an Idempotency-Key. A request sent again because its
// answer was lost (network error, 503, 409 "still running") reuses its key, so the
// server replays the first answer instead of doing the work twice; once an answer
// arrives, the next identical request is a new action with a new key.

const pending = new Map<string, string>();

export function fingerprint(method: string, url: string, body: unknown): string {
  return `${method} ${url} ${body === undefined ? '' : JSON.stringify(body)}`;
}

export function keyFor(print: string): string {
  let key = pending.get(print);
  if (!key) {
    key = crypto.randomUUID();
    pending.set(print, key);
  }
  return key;
}

/** True when the server may not have acted, or not finished: keep the key for a retry. */
export function outcomeUnknown(status: number | 'FETCH_ERROR' | string): boolean {
  return status === 'FETCH_ERROR' || status === 'TIMEOUT_ERROR' || status === 503 || status === 409 || status === 502 || status === 504;
}

export function settle(print: string, status: number | string): void {
  if (!outcomeUnknown(status)) pending.delete(print);
}
