import { useEffect, useRef } from 'react';
import { useStore } from 'react-redux';

import type { Session } from '@/lib/auth';
import { openStream } from '@/lib/sse';

export interface LiveMessage {
  id: string;
  channel: string;
  type: string;
  data: Record<string, unknown>;
}

/** Follow live channels (`me`, `event:<id>`, `queue:<id>`) over /live/stream while the
 * component is mounted; reconnects by itself (with jitter) after drops and restarts. */
export function useLive(channels: string[], onMessage: (message: LiveMessage) => void, enabled = true): void {
  const store = useStore<{ auth: { session: Session | null } }>();
  const handler = useRef(onMessage);
  handler.current = onMessage;
  const key = channels.join(',');
  useEffect(() => {
    if (!enabled || !key) return undefined;
    const query = key
      .split(',')
      .map((c) => `channel=${encodeURIComponent(c)}`)
      .join('&');
    return openStream(
      `/live/stream?${query}`,
      (): Record<string, string> => {
        const session = store.getState().auth.session;
        return session ? { Authorization: `Bearer ${session.accessToken}` } : {};
      },
      (message) => {
        if (message.event === 'heartbeat') return;
        handler.current(JSON.parse(message.data) as LiveMessage);
      },
    );
  }, [key, enabled, store]);
}
