import { useSelector } from 'react-redux';
import { Link, useParams } from 'react-router-dom';

import { Button } from '@/components/Button';
import { ProblemAlert } from '@/components/ProblemAlert';
import { useTicketsAcceptTransferMutation } from '@/lib/api/generated';
import { selectSession } from '@/lib/auth';
import { useI18n } from '@/lib/i18n';

/** Reached from the transfer e-mail's link: the receiver, signed in with that address,
 * takes the ticket (its old codes stop admitting). */
export function AcceptTransferPage() {
  const { transferId = '' } = useParams();
  const { t } = useI18n();
  const session = useSelector(selectSession);
  const [accept, result] = useTicketsAcceptTransferMutation();
  const here = `/account/transfers/${transferId}`;
  return (
    <section aria-labelledby="transfer-title" className="mx-auto max-w-md space-y-4">
      <h1 id="transfer-title" className="text-2xl font-bold">
        {t('tickets.acceptTitle')}
      </h1>
      {result.data ? (
        <p role="status" className="rounded-md bg-green-100 p-3 text-green-900">
          {t('tickets.accepted')}{' '}
          <Link className="underline" to="/account/tickets">
            {t('nav.myTickets')}
          </Link>
        </p>
      ) : session ? (
        <>
          <p>{t('tickets.acceptHelp')}</p>
          <ProblemAlert error={result.error} />
          <Button disabled={result.isLoading} onClick={() => void accept({ transferId })}>
            {t('tickets.accept')}
          </Button>
        </>
      ) : (
        <p>
          <Link className="text-indigo-800 underline" to={`/login?next=${encodeURIComponent(here)}`}>
            {t('tickets.loginToAccept')}
          </Link>
        </p>
      )}
    </section>
  );
}
