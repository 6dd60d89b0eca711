import { type FormEvent, useState } from 'react';
import { useDispatch } from 'react-redux';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';

import { Button } from '@/components/Button';
import { Field } from '@/components/Field';
import { ProblemAlert } from '@/components/ProblemAlert';
import { useLoginMutation, useRegisterMutation } from '@/lib/api/generated';
import { signedIn } from '@/lib/auth';
import { useI18n } from '@/lib/i18n';

import { safeNext } from './LoginPage';

export function RegisterPage() {
  const { t, locale } = useI18n();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const dispatch = useDispatch();
  const [register, registration] = useRegisterMutation();
  const [login, session] = useLoginMutation();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  async function submit(e: FormEvent) {
    e.preventDefault();
    const created = await register({ registration: { name, email, password, locale } });
    if (!('data' in created)) return;
    const tokens = await login({ login: { email, password } });
    if ('data' in tokens && tokens.data) {
      dispatch(signedIn({ accessToken: tokens.data.access_token, refreshToken: tokens.data.refresh_token }));
      navigate(safeNext(params.get('next')));
    }
  }
  return (
    <section aria-labelledby="register-title" className="mx-auto max-w-sm space-y-4">
      <h1 id="register-title" className="text-2xl font-bold">
        {t('auth.register')}
      </h1>
      <form className="space-y-3" onSubmit={submit}>
        <Field label={t('auth.name')} autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />
        <Field label={t('auth.email')} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <Field label={t('auth.password')} type="password" autoComplete="new-password" required minLength={10} value={password} onChange={(e) => setPassword(e.target.value)} />
        <ProblemAlert error={registration.error ?? session.error} />
        <Button type="submit" disabled={registration.isLoading || session.isLoading} className="w-full">
          {t('auth.register')}
        </Button>
      </form>
      <p>
        {t('auth.haveAccount')}{' '}
        <Link className="text-indigo-800 underline" to={`/login?next=${encodeURIComponent(safeNext(params.get('next')))}`}>
          {t('auth.login')}
        </Link>
      </p>
    </section>
  );
}
