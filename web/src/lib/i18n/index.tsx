import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';

import { type Locale, LOCALES, type MessageKey, MESSAGES } from './messages';

export type { Locale, MessageKey } from './messages';
export { LOCALES } from './messages';

const STORAGE_KEY = 'ticketsafe.locale';

export function translate(locale: Locale, key: MessageKey, values?: Record<string, string | number>): string {
  const template = MESSAGES[locale][key];
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(values?.[name] ?? `{${name}}`));
}

function initialLocale(): Locale {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(STORAGE_KEY) : null;
  if (saved && (LOCALES as string[]).includes(saved)) return saved as Locale;
  const browser = typeof navigator !== 'undefined' ? navigator.language : 'pt-BR';
  return browser.toLowerCase().startsWith('pt') ? 'pt-BR' : 'en';
}

interface I18n {
  locale: Locale;
  setLocale: (locale: Locale) => void;
  t: (key: MessageKey, values?: Record<string, string | number>) => string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const setLocale = useCallback((next: Locale) => {
    localStorage.setItem(STORAGE_KEY, next);
    document.documentElement.lang = next;
    setLocaleState(next);
  }, []);
  const value = useMemo<I18n>(
    () => ({ locale, setLocale, t: (key, values) => translate(locale, key, values) }),
    [locale, setLocale],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const context = useContext(I18nContext);
  if (!context) throw new Error('useI18n outside I18nProvider');
  return context;
}
