import { useI18n } from '@/lib/i18n';

export function Loading() {
  const { t } = useI18n();
  return (
    <p role="status" aria-live="polite" className="p-6 text-slate-600">
      {t('common.loading')}
    </p>
  );
}
