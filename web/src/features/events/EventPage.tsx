import { Link, useParams } from 'react-router-dom';
import { useSelector } from 'react-redux';

import { ProblemAlert } from '@/components/ProblemAlert';
import { Loading } from '@/components/Spinner';
import { useNow } from '@/hooks/useNow';
import { type Event, useGetEventQuery } from '@/lib/api/generated';
import { selectSession } from '@/lib/auth';
import { useI18n } from '@/lib/i18n';
import { formatMoney } from '@/lib/money';
import { describeRemaining, formatDateTime, remaining } from '@/lib/time';

function SaleState({ event }: { event: Event }) {
  const { t } = useI18n();
  const now = useNow();
  const onSaleAt = event.sales?.on_sale_at ? Date.parse(event.sales.on_sale_at) : null;
  if (event.status === 'sold_out') return <p className="font-semibold text-red-800">{t('event.soldOut')}</p>;
  if (onSaleAt !== null && onSaleAt > now)
    return (
      <p className="font-semibold text-indigo-900" aria-live="off">
        {t('event.onSaleIn', { time: describeRemaining(remaining(onSaleAt, now)) })}
      </p>
    );
  if (event.status === 'on_sale') return <p className="font-semibold text-green-800">{t('event.onSaleNow')}</p>;
  return <p className="text-slate-700">{t('event.notOnSale')}</p>;
}

export function EventPage() {
  const { eventId = '' } = useParams();
  const { t, locale } = useI18n();
  const session = useSelector(selectSession);
  const { data: event, error, isLoading } = useGetEventQuery({ eventId });
  if (isLoading) return <Loading />;
  if (!event) return <ProblemAlert error={error} />;
  const currency = event.currency ?? 'BRL';
  const queue = event.waiting_room?.enabled ?? false;
  const canBuy = event.status === 'published' || event.status === 'on_sale';
  const next = queue ? `/event/${event.id}/queue` : `/event/${event.id}/seats`;
  return (
    <article aria-labelledby="event-title" className="space-y-4">
      <h1 id="event-title" className="text-3xl font-bold">
        {event.name}
      </h1>
      <p className="text-lg">{formatDateTime(event.starts_at, locale, event.timezone)}</p>
      <p>
        {event.venue_name} · {event.city}
      </p>
      {event.description ? <p className="whitespace-pre-line text-slate-800">{event.description}</p> : null}
      <SaleState event={event} />
      {event.sales?.on_sale_at ? (
        <p className="text-sm text-slate-700">
          {t('event.salesWindow', {
            from: formatDateTime(event.sales.on_sale_at, locale, event.timezone),
            until: event.sales.off_sale_at ? formatDateTime(event.sales.off_sale_at, locale, event.timezone) : '—',
          })}
        </p>
      ) : null}
      <section aria-labelledby="prices-title">
        <h2 id="prices-title" className="text-xl font-semibold">
          {t('event.prices')}
        </h2>
        <ul className="mt-2 divide-y divide-slate-200 rounded-md border border-slate-300 bg-white">
          {event.price_levels?.map((level) => (
            <li key={level.id} className="flex justify-between p-3">
              <span>{level.name}</span>
              <span className="font-medium">{formatMoney(level.amount_minor, currency, locale)}</span>
            </li>
          ))}
        </ul>
      </section>
      {canBuy ? (
        session ? (
          <Link to={next} className="inline-block min-h-11 rounded-md bg-indigo-700 px-5 py-3 font-semibold text-white hover:bg-indigo-800">
            {queue ? t('event.join') : t('event.buy')}
          </Link>
        ) : (
          <Link
            to={`/login?next=${encodeURIComponent(next)}`}
            className="inline-block min-h-11 rounded-md bg-indigo-700 px-5 py-3 font-semibold text-white hover:bg-indigo-800"
          >
            {t('event.loginToBuy')}
          </Link>
        )
      ) : null}
    </article>
  );
}
