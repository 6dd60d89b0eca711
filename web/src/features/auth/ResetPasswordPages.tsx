import { type FormEvent, useState } from 'react';
import { Link, useLocation } from 'react-router-dom';

import { Button } from '@/components/Button';
import { Field } from '@/components/Field';
import { ProblemAlert } from '@/components/ProblemAlert';
import { useConfirmPasswordResetMutation, useRequestPasswordResetMutation } from '@/lib/api/generated';
import { useI18n } from '@/lib/i18n';

import { tokenFromHash } from './resetToken';

/** "Forgot your password?": asks for the e-mail; the answer never says whether an
 * account exists. */
export function ResetRequestPage() {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [request, result] = useRequestPasswordResetMutation();
  async function submit(e: FormEvent) {
    e.preventDefault();
    await request({ passwordResetRequest: { email } });
  }
  return (
    <section aria-labelledby="reset-title" className="mx-auto max-w-sm space-y-4">
      <h1 id="reset-title" className="text-2xl font-bold">
        {t('auth.resetTitle')}
      </h1>
      {result.isSuccess ? (
        <p role="status" className="rounded-md bg-green-100 p-3 text-green-900">
          {t('auth.resetSent')}
        </p>
      ) : (
        <form className="space-y-3" onSubmit={submit}>
          <p>{t('auth.resetHelp')}</p>
          <Field label={t('auth.email')} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          <ProblemAlert error={result.error} />
          <Button type="submit" disabled={result.isLoading} className="w-full">
            {t('auth.resetSend')}
          </Button>
        </form>
      )}
    </section>
  );
}

/** Reached from the e-mailed link (`/account/reset-password#token=…`). */
export function ResetConfirmPage() {
  const { t } = useI18n();
  const { hash } = useLocation();
  const [token] = useState(() => tokenFromHash(hash));
  const [password, setPassword] = useState('');
  const [confirm, result] = useConfirmPasswordResetMutation();
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (token) await confirm({ passwordResetConfirm: { token, new_password: password } });
  }
  let body;
  if (result.isSuccess) {
    body = (
      <p role="status" className="rounded-md bg-green-100 p-3 text-green-900">
        {t('auth.resetDone')}{' '}
        <Link className="underline" to="/login">
          {t('auth.login')}
        </Link>
      </p>
    );
  } else if (!token) {
    body = (
      <p>
        {t('auth.resetNoToken')}{' '}
        <Link className="text-indigo-800 underline" to="/account/forgot-password">
          {t('auth.forgot')}
        </Link>
      </p>
    );
  } else {
    body = (
      <form className="space-y-3" onSubmit={submit}>
        <Field label={t('auth.newPassword')} type="password" autoComplete="new-password" required minLength={10} maxLength={128} value={password} onChange={(e) => setPassword(e.target.value)} />
        <ProblemAlert error={result.error} />
        <Button type="submit" disabled={result.isLoading} className="w-full">
          {t('auth.resetConfirm')}
        </Button>
      </form>
    );
  }
  return (
    <section aria-labelledby="reset-title" className="mx-auto max-w-sm space-y-4">
      <h1 id="reset-title" className="text-2xl font-bold">
        {t('auth.resetTitle')}
      </h1>
      {body}
    </section>
  );
}
