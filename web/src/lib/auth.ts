// The signed-in session: tokens live in localStorage so a reload keeps the buyer signed
// in; the access token is short-lived and refreshed by the API layer on a 401.
import { createSlice, type PayloadAction } from '@reduxjs/toolkit';

export interface Session {
  accessToken: string;
  refreshToken: string;
}

const STORAGE_KEY = 'ticketsafe.session';

function load(): Session | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

function save(session: Session | null): void {
  if (session) localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else localStorage.removeItem(STORAGE_KEY);
}

export const authSlice = createSlice({
  name: 'auth',
  initialState: { session: load() } as { session: Session | null },
  reducers: {
    signedIn(state, action: PayloadAction<Session>) {
      state.session = action.payload;
      save(action.payload);
    },
    signedOut(state) {
      state.session = null;
      save(null);
    },
  },
});

export const { signedIn, signedOut } = authSlice.actions;

export function selectSession(state: { auth: { session: Session | null } }): Session | null {
  return state.auth.session;
}
