import { Link, NavLink, Outlet } from 'react-router-dom';
import { useDispatch, useSelector } from 'react-redux';

import { useOnline } from '@/hooks/useOnline';
import { selectSession, signedOut } from '@/lib/auth';
import { type Locale, LOCALES, useI18n } from '@/lib/i18n';

export function Layout() {
  const { t, locale, setLocale } = useI18n();
  const session = useSelector(selectSession);
  const dispatch = useDispatch();
  const online = useOnline();
  const link = ({ isActive }: { isActive: boolean }) =>
    `rounded px-2 py-1 ${isActive ? 'bg-indigo-800' : 'hover:bg-indigo-800'}`;
  return (
    <div className="min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:bg-white focus:p-2">
        Skip to content
      </a>
      <header className="bg-indigo-950 text-white">
        <nav aria-label="main" className="mx-auto flex max-w-5xl flex-wrap items-center gap-3 px-4 py-3">
          <Link to="/" className="mr-auto text-lg font-bold">
            {t('app.name')}
          </Link>
          <NavLink to="/" end className={link}>
            {t('nav.events')}
          </NavLink>
          {session ? (
            <>
              <NavLink to="/account/orders" className={link}>
                {t('nav.myOrders')}
              </NavLink>
              <NavLink to="/account/tickets" className={link}>
                {t('nav.myTickets')}
              </NavLink>
              <button type="button" className="rounded px-2 py-1 hover:bg-indigo-800" onClick={() => dispatch(signedOut())}>
                {t('nav.logout')}
              </button>
            </>
          ) : (
            <>
              <NavLink to="/login" className={link}>
                {t('nav.login')}
              </NavLink>
              <NavLink to="/register" className={link}>
                {t('nav.register')}
              </NavLink>
            </>
          )}
          <label className="flex items-center gap-1 text-sm">
            <span className="sr-only">{t('nav.language')}</span>
            <select
              value={locale}
              onChange={(e) => setLocale(e.target.value as Locale)}
              className="rounded bg-indigo-900 px-1 py-1 text-white"
            >
              {LOCALES.map((l) => (
                <option key={l} value={l}>
                  {l === 'pt-BR' ? 'Português' : 'English'}
                </option>
              ))}
            </select>
          </label>
        </nav>
      </header>
      {online ? null : (
        <p role="status" className="bg-amber-100 p-2 text-center text-amber-950">
          {t('common.offline')}
        </p>
      )}
      <main id="main" className="mx-auto max-w-5xl px-4 py-6">
        <Outlet />
      </main>
    </div>
  );
}
