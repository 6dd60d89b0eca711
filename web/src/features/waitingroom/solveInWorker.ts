// Solve a challenge off the main thread; falls back to the page itself where workers
// are unavailable (tests, very old browsers).
import { solve } from './pow';

export function solveInWorker(challenge: string, bits: number): Promise<string> {
  if (typeof Worker === 'undefined') return solve(challenge, bits);
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./pow.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (message: MessageEvent<{ solution?: string }>) => {
      if (message.data.solution !== undefined) {
        resolve(message.data.solution);
        worker.terminate();
      }
    };
    worker.onerror = (error) => {
      worker.terminate();
      reject(error instanceof ErrorEvent ? new Error(error.message) : new Error('worker failed'));
    };
    worker.postMessage({ challenge, bits });
  });
}
