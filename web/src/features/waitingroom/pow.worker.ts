import { solve } from './pow';

interface Ask {
  challenge: string;
  bits: number;
}

self.onmessage = async (message: MessageEvent<Ask>) => {
  const { challenge, bits } = message.data;
  const solution = await solve(challenge, bits, (tried) => self.postMessage({ tried }));
  self.postMessage({ solution });
};
