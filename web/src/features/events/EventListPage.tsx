import { useState } from 'react';
import { Link } from 'react-router-dom';

import { Field } from '@/components/Field';
import { ProblemAlert } from '@/components/ProblemAlert';
import { Loading } from '@/components/Spinner';
import { useSearchEventsQuery } from '@/lib/api/generated';
import { useI18n } from '@/lib/i18n';
import { formatDateTime } from '@/lib/time';

function dayStart(date: string): string | undefined {
  return date ? new Date(`${date}T00:00:00`).toISOString() : undefined;
}

function dayEnd(date: string): string | undefined {
  return date ? new Date(`${date}T23:59:59`).toISOString() : undefined;
}

export function EventListPage() {
  const { t, locale } = useI18n();
  const [q, setQ] = useState('');
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  const [cursor, setCursor] = useState<string | undefined>();
  const { data, error, isLoading, isFetching } = useSearchEventsQuery({
    q: q.trim() || undefined,
    startsFrom: dayStart(from),
    startsUntil: dayEnd(until),
    cursor,
    limit: 20,
  });
  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title" className="mb-4 text-2xl font-bold">
        {t('events.title')}
      </h1>
      <form role="search" className="mb-6 grid gap-3 sm:grid-cols-3" onSubmit={(e) => e.preventDefault()}>
        <Field label={t('events.search')} type="search" value={q} onChange={(e) => { setQ(e.target.value); setCursor(undefined); }} />
        <Field label={t('events.from')} type="date" value={from} onChange={(e) => { setFrom(e.target.value); setCursor(undefined); }} />
        <Field label={t('events.until')} type="date" value={until} onChange={(e) => { setUntil(e.target.value); setCursor(undefined); }} />
      </form>
      <ProblemAlert error={error} />
      {isLoading ? <Loading /> : null}
      {data && data.items.length === 0 ? <p className="text-slate-700">{t('events.empty')}</p> : null}
      <ul className="grid gap-4 sm:grid-cols-2" aria-busy={isFetching}>
        {data?.items.map((event) => (
          <li key={event.id} className="rounded-lg border border-slate-300 bg-white p-4 shadow-sm">
            <h2 className="text-lg font-semibold">
              <Link to={`/event/${event.id}`} className="text-indigo-800 underline-offset-2 hover:underline">
                {event.name}
              </Link>
            </h2>
            <p className="text-sm text-slate-700">{formatDateTime(event.starts_at, locale, event.timezone)}</p>
            <p className="text-sm text-slate-700">
              {event.venue_name} · {event.city}
            </p>
          </li>
        ))}
      </ul>
      {data?.next_cursor ? (
        <button type="button" className="mt-4 underline" onClick={() => setCursor(data.next_cursor ?? undefined)}>
          {t('events.more')}
        </button>
      ) : null}
    </section>
  );
}
