import { useEffect, useState } from 'react';
import { useSelector } from 'react-redux';
import { Link } from 'react-router-dom';

import { ProblemAlert } from '@/components/ProblemAlert';
import { Loading } from '@/components/Spinner';
import { useTicketsMineQuery } from '@/lib/api/generated';
import { selectSession } from '@/lib/auth';
import { useI18n } from '@/lib/i18n';

import { TicketCard } from './TicketCard';

// Tickets are issued by a job just after payment: an empty list is re-read at this pace
// so a buyer who comes straight from a paid order sees them arrive.
const EMPTY_POLL_MS = 3000;

function TicketPageOf({ after, onMore }: { after: string | null; onMore: (next: string) => void }) {
  const { t } = useI18n();
  const page = useTicketsMineQuery({ after: after ?? undefined, limit: 20 });
  if (page.isLoading) return <Loading />;
  if (!page.data) return <ProblemAlert error={page.error} />;
  const next = page.data.next_cursor;
  return (
    <>
      {page.data.items.map((ticket) => (
        <TicketCard key={ticket.id} ticket={ticket} />
      ))}
      {next ? (
        <li>
          <button type="button" className="underline" onClick={() => onMore(next)}>
            {t('events.more')}
          </button>
        </li>
      ) : null}
    </>
  );
}

export function MyTicketsPage() {
  const { t } = useI18n();
  const session = useSelector(selectSession);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [empty, setEmpty] = useState(false);
  const first = useTicketsMineQuery({ after: undefined, limit: 20 }, { skip: !session, pollingInterval: empty ? EMPTY_POLL_MS : 0 });
  const count = first.data?.items.length;
  useEffect(() => {
    if (count !== undefined) setEmpty(count === 0);
  }, [count]);
  return (
    <section aria-labelledby="tickets-title" className="space-y-4">
      <h1 id="tickets-title" className="text-2xl font-bold">
        {t('nav.myTickets')}
      </h1>
      {!session ? (
        <p>
          <Link className="text-indigo-800 underline" to="/login?next=%2Faccount%2Ftickets">
            {t('event.loginToBuy')}
          </Link>
        </p>
      ) : (
        <>
          {first.data && first.data.items.length === 0 ? <p>{t('tickets.empty')}</p> : null}
          <ul className="grid gap-4 sm:grid-cols-2">
            {cursors.map((cursor) => (
              <TicketPageOf key={cursor ?? 'first'} after={cursor} onMore={(next) => setCursors((c) => [...c, next])} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
