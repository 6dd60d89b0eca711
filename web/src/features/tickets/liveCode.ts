// The QR at the gate is `code~otp`: the ticket's signed code and an RFC 6238 one-time
// value of its rotation secret (HMAC-SHA-1 over the step counter). The API hands the
// holder's session the secret, so the page computes each step's value itself: no request
// every 15 s, and a screenshot is worth one step only.
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export const LIVE_SEPARATOR = '~';

export function base32Decode(text: string): Uint8Array<ArrayBuffer> {
  const clean = text.replace(/=+$/, '').toUpperCase();
  const out = new Uint8Array(Math.floor((clean.length * 5) / 8));
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const char of clean) {
    const digit = BASE32.indexOf(char);
    if (digit < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | digit;
    bits += 5;
    if (bits >= 8) {
      out[index++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out;
}

/** The step counter at `nowMs` (steps of `stepS` seconds since the Unix epoch). */
export function stepAt(nowMs: number, stepS: number): number {
  return Math.floor(nowMs / 1000 / stepS);
}

/** Whole seconds until the next step begins (1…stepS): the countdown on screen. */
export function secondsToNextStep(nowMs: number, stepS: number): number {
  const next = (stepAt(nowMs, stepS) + 1) * stepS * 1000;
  return Math.max(1, Math.ceil((next - nowMs) / 1000));
}

/** HOTP value of `counter` (RFC 4226), `digits` digits, zero-padded. */
export async function hotp(secret: Uint8Array<ArrayBuffer>, counter: number, digits: number): Promise<string> {
  const message = new DataView(new ArrayBuffer(8));
  message.setUint32(0, Math.floor(counter / 2 ** 32));
  message.setUint32(4, counter >>> 0);
  const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const digest = new DataView(await crypto.subtle.sign('HMAC', key, message.buffer));
  const start = digest.getUint8(19) & 0x0f;
  const value = digest.getUint32(start) & 0x7fffffff;
  return String(value % 10 ** digits).padStart(digits, '0');
}

export interface LiveSecret {
  code: string;
  secret_b32: string;
  step_s?: number;
  digits?: number;
}

/** The QR's content for the step containing `nowMs`. */
export async function liveCodeAt(live: LiveSecret, nowMs: number): Promise<string> {
  const stepS = live.step_s ?? 15;
  const otp = await hotp(base32Decode(live.secret_b32), stepAt(nowMs, stepS), live.digits ?? 6);
  return `${live.code}${LIVE_SEPARATOR}${otp}`;
}
