import { type FormEvent, useState } from 'react';
import { useDispatch } from 'react-redux';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';

import { Button } from '@/components/Button';
import { Field } from '@/components/Field';
import { ProblemAlert } from '@/components/ProblemAlert';
import { useLoginMutation } from '@/lib/api/generated';
import { signedIn } from '@/lib/auth';
import { useI18n } from '@/lib/i18n';

/** Only same-site paths after login, never an absolute URL from the query string. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function LoginPage() {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const dispatch = useDispatch();
  const [login, { error, isLoading }] = useLoginMutation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const next = safeNext(params.get('next'));
  async function submit(e: FormEvent) {
    e.preventDefault();
    const result = await login({ login: { email, password } });
    if ('data' in result && result.data) {
      dispatch(signedIn({ accessToken: result.data.access_token, refreshToken: result.data.refresh_token }));
      navigate(next);
    }
  }
  return (
    <section aria-labelledby="login-title" className="mx-auto max-w-sm space-y-4">
      <h1 id="login-title" className="text-2xl font-bold">
        {t('auth.login')}
      </h1>
      <form className="space-y-3" onSubmit={submit}>
        <Field label={t('auth.email')} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <Field label={t('auth.password')} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <ProblemAlert error={error} />
        <Button type="submit" disabled={isLoading} className="w-full">
          {t('auth.login')}
        </Button>
      </form>
      <p>
        <Link className="text-indigo-800 underline" to="/account/forgot-password">
          {t('auth.forgot')}
        </Link>
      </p>
      <p>
        {t('auth.noAccount')}{' '}
        <Link className="text-indigo-800 underline" to={`/register?next=${encodeURIComponent(next)}`}>
          {t('auth.register')}
        </Link>
      </p>
    </section>
  );
}
