import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';

import { ProblemAlert } from '@/components/ProblemAlert';
import { useLive } from '@/hooks/useLive';
import { Loading } from '@/components/Spinner';
import { useOrdersGetQuery } from '@/lib/api/generated';
import { useI18n } from '@/lib/i18n';
import { formatMoney } from '@/lib/money';
import { formatDateTime } from '@/lib/time';

import { PixPayment } from './PixPayment';

// Changes arrive live on the `me` channel; a pending order is also re-read at this pace
// in case the live connection is down.
const PENDING_POLL_MS = 5000;

export function OrderPage() {
  const { orderId = '' } = useParams();
  const { t, locale } = useI18n();
  const [pending, setPending] = useState(true);
  const order = useOrdersGetQuery({ orderId }, { pollingInterval: pending ? PENDING_POLL_MS : 0 });
  const status = order.data?.status;
  useEffect(() => {
    if (status) setPending(status === 'pending_payment');
  }, [status]);
  const { refetch } = order;
  useLive(['me'], (message) => {
    if (message.type === 'order' && message.data.order_id === orderId) void refetch();
  });
  if (order.isLoading) return <Loading />;
  if (!order.data) return <ProblemAlert error={order.error} />;
  const o = order.data;
  const payment = o.payment;
  return (
    <section aria-labelledby="order-title" className="mx-auto max-w-2xl space-y-4">
      <h1 id="order-title" className="text-2xl font-bold">
        {t('order.title', { id: o.id })}
      </h1>
      <p role="status" aria-live="polite" data-order-status={o.status} className={`rounded-md p-3 text-lg font-semibold ${o.status === 'paid' ? 'bg-green-100 text-green-900' : 'bg-slate-100 text-slate-900'}`}>
        {t(`order.status.${o.status}`)}
      </p>
      {o.status === 'paid' ? (
        <p>
          <Link className="font-semibold text-indigo-800 underline" to="/account/tickets">
            {t('order.toTickets')}
          </Link>
        </p>
      ) : null}
      <ul className="divide-y divide-slate-200 rounded-md border border-slate-300 bg-white">
        {o.lines.map((line) => (
          <li key={line.line_id} className="flex justify-between p-3">
            <span>{line.seat_id ?? line.area_id} · {line.ticket_kind}</span>
            <span>{formatMoney(line.unit_cents, o.currency, locale)}</span>
          </li>
        ))}
        <li className="flex justify-between p-3 font-bold">
          <span>{t('checkout.total')}</span>
          <span>{formatMoney(o.total_cents, o.currency, locale)}</span>
        </li>
      </ul>
      {o.status === 'pending_payment' ? (
        <p className="text-sm text-slate-700">{t('order.payDeadline', { time: formatDateTime(o.payment_deadline, locale) })}</p>
      ) : null}
      {o.status === 'pending_payment' && payment?.method === 'pix' ? (
        <PixPayment payment={payment} onPaid={() => void order.refetch()} />
      ) : null}
      {o.status === 'pending_payment' && payment?.method === 'bank_transfer' ? (
        <dl className="rounded-md border border-slate-300 bg-white p-3">
          <dt className="font-semibold">{t('order.transfer')}</dt>
          {Object.entries(payment.instructions).map(([k, v]) => (
            <dd key={k}>
              {k}: {v}
            </dd>
          ))}
        </dl>
      ) : null}
    </section>
  );
}
