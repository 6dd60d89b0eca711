import { useState } from 'react';
import { Link } from 'react-router-dom';

import { ProblemAlert } from '@/components/ProblemAlert';
import { Loading } from '@/components/Spinner';
import { type OrderOut, useOrdersMineQuery } from '@/lib/api/generated';
import { useI18n } from '@/lib/i18n';
import { formatMoney } from '@/lib/money';
import { formatDateTime } from '@/lib/time';

function OrderPageOf({ cursor, onMore }: { cursor: string | null; onMore: (next: string) => void }) {
  const { t, locale } = useI18n();
  const page = useOrdersMineQuery({ cursor: cursor ?? undefined, limit: 20 });
  if (page.isLoading) return <Loading />;
  if (!page.data) return <ProblemAlert error={page.error} />;
  return (
    <>
      {page.data.items.map((o: OrderOut) => (
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
      {page.data.next_cursor ? (
        <li>
          <button type="button" className="underline" onClick={() => onMore(page.data!.next_cursor!)}>
            {t('events.more')}
          </button>
        </li>
      ) : null}
    </>
  );
}

export function MyOrdersPage() {
  const { t } = useI18n();
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const first = useOrdersMineQuery({ cursor: undefined, limit: 20 });
  return (
    <section aria-labelledby="orders-title" className="space-y-4">
      <h1 id="orders-title" className="text-2xl font-bold">
        {t('nav.myOrders')}
      </h1>
      {first.data && first.data.items.length === 0 ? <p>{t('order.empty')}</p> : null}
      <ul className="space-y-3">
        {cursors.map((cursor) => (
          <OrderPageOf key={cursor ?? 'first'} cursor={cursor} onMore={(next) => setCursors((c) => [...c, next])} />
        ))}
      </ul>
    </section>
  );
}
