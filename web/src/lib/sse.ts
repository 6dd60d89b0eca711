// Server-Sent Events over fetch, so the stream carries the bearer token like any other
// request (EventSource cannot set headers). Reconnects after the server's `retry:` or
// a dropped connection, until stopped.

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

export function parseSse(buffer: string): { messages: SseMessage[]; rest: string; retryMs?: number } {
  const messages: SseMessage[] = [];
  let retryMs: number | undefined;
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    let id: string | undefined;
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) retryMs = Number(value);
    }
    if (data.length) messages.push({ event, data: data.join('\n'), id });
  }
  return { messages, rest, retryMs };
}

// The wait a refusal asks for (Retry-After, in seconds), in ms; undefined if none or not
// a number of seconds. A busy server (503) or a rate limit (429) paces the reconnects.
export function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}

export function openStream(
  url: string,
  headers: () => Record<string, string>,
  onMessage: (message: SseMessage) => void,
): () => void {
  const controller = new AbortController();
  let retryMs = 3000;
  let stopped = false;
  const run = async () => {
    while (!stopped) {
      let waitMs = retryMs;
      try {
        const response = await fetch(url, {
          headers: { Accept: 'text/event-stream', ...headers() },
          signal: controller.signal,
        });
        if (!response.ok || !response.body) {
          waitMs = Math.max(retryMs, retryAfterMs(response.headers.get('Retry-After')) ?? 0);
          throw new Error(`stream ${response.status}`);
        }
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const parsed = parseSse(buffer + value);
          buffer = parsed.rest;
          if (parsed.retryMs) retryMs = parsed.retryMs;
          parsed.messages.forEach(onMessage);
        }
      } catch {
        if (stopped) return;
      }
      // jitter, so a crowd whose streams dropped together does not return together
      await new Promise((r) => setTimeout(r, waitMs * (0.5 + Math.random())));
    }
  };
  void run();
  return () => {
    stopped = true;
    controller.abort();
  };
}
