import type { SerializedError } from '@reduxjs/toolkit';
import type { FetchBaseQueryError } from '@reduxjs/toolkit/query';

import { useI18n } from '@/lib/i18n';
import { problemKey, toProblem } from '@/lib/problem';

export function ProblemAlert({ error }: { error: FetchBaseQueryError | SerializedError | undefined }) {
  const { t } = useI18n();
  const problem = toProblem(error);
  if (!problem) return null;
  const key = problemKey(problem);
  const text = key ? t(key) : problem.code === 'network' ? t('error.network') : problem.detail ?? problem.title ?? t('error.generic');
  return (
    <p role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900">
      {text}
    </p>
  );
}
