import { configureStore } from '@reduxjs/toolkit';

import { baseApi } from '@/lib/api/base';
import { authSlice } from '@/lib/auth';

export function makeStore() {
  return configureStore({
    reducer: { [baseApi.reducerPath]: baseApi.reducer, auth: authSlice.reducer },
    middleware: (getDefault) => getDefault().concat(baseApi.middleware),
  });
}

export type AppStore = ReturnType<typeof makeStore>;
export type RootState = ReturnType<AppStore['getState']>;
