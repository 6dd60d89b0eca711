import { Link } from 'react-router-dom';

import { ProblemAlert } from '@/components/ProblemAlert';
import { Loading } from '@/components/Spinner';
import { useOrdersMineQuery } from '@/lib/api/generated';
import { useI18n } from '@/lib/i18n';
import { formatMoney } from '@/lib/money';
import { formatDateTime } from '@/lib/time';

export function MyOrdersPage() {
  const { t, locale } = useI18n();
  const orders = useOrdersMineQuery();
  if (orders.isLoading) return <Loading />;
  return (
    <section aria-labelledby="orders-title" className="space-y-4">
      <h1 id="orders-title" className="text-2xl font-bold">
        {t('nav.myOrders')}
      </h1>
      <ProblemAlert error={orders.error} />
      {orders.data?.length === 0 ? <p>{t('order.empty')}</p> : null}
      <ul className="space-y-3">
        {orders.data?.map((o) => (
          <li key={o.id} className="rounded-lg border border-slate-300 bg-white p-4">
            <Link className="font-semibold text-indigo-800 underline" to={`/order/${o.id}`}>
              {t('order.title', { id: o.id })}
            </Link>
            <p>{t(`order.status.${o.status}`)}</p>
            <p className="text-sm text-slate-700">
              {formatDateTime(o.created_at, locale)} · {formatMoney(o.total_cents, o.currency, locale)}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
