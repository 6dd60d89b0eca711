// The one RTK Query API; its endpoints are generated from the OpenAPI document into
// generated.ts (`make web-api`). Adds the bearer token, refreshes it once on a 401,
// and sends an Idempotency-Key with every mutating request.
import {
  type BaseQueryFn,
  createApi,
  type FetchArgs,
  fetchBaseQuery,
  type FetchBaseQueryError,
} from '@reduxjs/toolkit/query/react';

import { type Session, signedIn, signedOut } from '@/lib/auth';
import { fingerprint, keyFor, settle } from '@/lib/api/idempotency';

interface AuthState {
  auth: { session: Session | null };
}

const raw = fetchBaseQuery({
  baseUrl: '/',
  prepareHeaders(headers, { getState }) {
    const session = (getState() as AuthState).auth.session;
    if (session && !headers.has('Authorization')) {
      headers.set('Authorization', `Bearer ${session.accessToken}`);
    }
    return headers;
  },
});

let refreshing: Promise<boolean> | null = null;

// Generated endpoints pass optional headers as null when absent (OpenAPI `string | null`).
type Headers = Record<string, string | number | boolean | null | undefined>;
export type ApiArgs = string | (Omit<FetchArgs, 'headers'> & { headers?: Headers });

function present(headers: Headers | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== null && value !== undefined) out[name] = String(value);
  }
  return out;
}

const withAuth: BaseQueryFn<ApiArgs, unknown, FetchBaseQueryError> = async (args, api, extra) => {
  const request: FetchArgs =
    typeof args === 'string' ? { url: args } : { ...args, headers: present(args.headers) };
  const method = (request.method ?? 'GET').toUpperCase();
  let print: string | null = null;
  if (method !== 'GET' && method !== 'HEAD') {
    print = fingerprint(method, request.url, request.body);
    request.headers = { ...(request.headers as Record<string, string>), 'Idempotency-Key': keyFor(print) };
  }
  let result = await raw(request, api, extra);
  const session = (api.getState() as AuthState).auth.session;
  if (result.error?.status === 401 && session && !request.url.startsWith('/auth/')) {
    refreshing ??= (async () => {
      const refreshed = await raw(
        { url: 'auth/refresh', method: 'POST', body: { refresh_token: session.refreshToken } },
        api,
        extra,
      );
      refreshing = null;
      const data = refreshed.data as { access_token: string; refresh_token: string } | undefined;
      if (data) {
        api.dispatch(signedIn({ accessToken: data.access_token, refreshToken: data.refresh_token }));
        return true;
      }
      api.dispatch(signedOut());
      return false;
    })();
    if (await refreshing) result = await raw(request, api, extra);
  }
  if (print) settle(print, result.error ? result.error.status : 200);
  return result;
};

export const baseApi = createApi({
  reducerPath: 'api',
  baseQuery: withAuth,
  endpoints: () => ({}),
});
