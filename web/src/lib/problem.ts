// API errors are RFC 9457 problem+json with a stable `code`; the buyer sees words, not
// codes. Unknown codes fall back to the server's own title/detail.
import type { FetchBaseQueryError } from '@reduxjs/toolkit/query';
import type { SerializedError } from '@reduxjs/toolkit';

import { MESSAGES, type MessageKey } from '@/lib/i18n/messages';

export interface Problem {
  status: number | string;
  code: string;
  title?: string;
  detail?: string;
  body: Record<string, unknown>;
}

export function toProblem(error: FetchBaseQueryError | SerializedError | undefined): Problem | null {
  if (!error) return null;
  if (!('status' in error)) return { status: 'CLIENT', code: 'generic', body: {} };
  if (typeof error.status !== 'number') return { status: error.status, code: 'network', body: {} };
  const body = (typeof error.data === 'object' && error.data ? error.data : {}) as Record<string, unknown>;
  return {
    status: error.status,
    code: typeof body.code === 'string' ? body.code : 'generic',
    title: typeof body.title === 'string' ? body.title : undefined,
    detail: typeof body.detail === 'string' ? body.detail : undefined,
    body,
  };
}

export function problemKey(problem: Problem): MessageKey | null {
  const key = `error.${problem.code}`;
  return key in MESSAGES.en ? (key as MessageKey) : null;
}
