// Proof of work for joining the queue: the smallest decimal nonce n such that
// SHA-256(challenge ":" n) starts with `bits` zero bits (the server's algorithm,
// waitingroom/proof_of_work.py). Runs in a Web Worker so the page stays responsive.

export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

export async function solve(
  challenge: string,
  bits: number,
  onProgress?: (tried: number) => void,
): Promise<string> {
  const encoder = new TextEncoder();
  const batch = 256;
  for (let start = 0; ; start += batch) {
    const digests = await Promise.all(
      Array.from({ length: batch }, (_, i) =>
        crypto.subtle.digest('SHA-256', encoder.encode(`${challenge}:${start + i}`)),
      ),
    );
    for (let i = 0; i < batch; i += 1) {
      if (leadingZeroBits(new Uint8Array(digests[i] as ArrayBuffer)) >= bits) return String(start + i);
    }
    if (onProgress && start % (batch * 64) === 0) onProgress(start + batch);
  }
}
