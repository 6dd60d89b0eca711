import { type FormEvent, useState } from 'react';
import { useSelector } from 'react-redux';

import { Button } from '@/components/Button';
import { Field } from '@/components/Field';
import { ProblemAlert } from '@/components/ProblemAlert';
import { type TicketOut, useTicketsOfferMutation } from '@/lib/api/generated';
import { selectSession } from '@/lib/auth';
import { useI18n } from '@/lib/i18n';
import { formatDateTime } from '@/lib/time';

import { LiveQr } from './LiveQr';
import { downloadPdf } from './pdf';

function TransferForm({ ticketId }: { ticketId: string }) {
  const { t, locale } = useI18n();
  const [email, setEmail] = useState('');
  const [offer, result] = useTicketsOfferMutation();
  async function submit(e: FormEvent) {
    e.preventDefault();
    await offer({ ticketId, transferIn: { email } });
  }
  if (result.data) {
    return (
      <p role="status" className="rounded-md bg-green-100 p-3 text-green-900">
        {t('tickets.offered', { email, time: formatDateTime(result.data.expires_at, locale) })}
      </p>
    );
  }
  return (
    <form className="space-y-2" onSubmit={submit}>
      <Field label={t('tickets.transferTo')} type="email" autoComplete="off" required value={email} onChange={(e) => setEmail(e.target.value)} />
      <ProblemAlert error={result.error} />
      <Button type="submit" variant="secondary" disabled={result.isLoading}>
        {t('tickets.transfer')}
      </Button>
    </form>
  );
}

export function TicketCard({ ticket }: { ticket: TicketOut }) {
  const { t, locale } = useI18n();
  const session = useSelector(selectSession);
  const [pdfFailed, setPdfFailed] = useState(false);
  const [transferring, setTransferring] = useState(false);
  const valid = ticket.status === 'valid' && !ticket.used_at;
  const place = ticket.place.replace(/^[sa]:/, '');
  return (
    <li data-ticket={ticket.id} className="space-y-3 rounded-lg border border-slate-300 bg-white p-4">
      <h2 className="text-lg font-semibold">{t('tickets.place', { place })}</h2>
      <p className="text-sm text-slate-700">
        {t('tickets.event', { id: ticket.event_id })} · {t('tickets.order', { id: ticket.order_id })}
      </p>
      {ticket.used_at ? <p>{t('tickets.used', { time: formatDateTime(ticket.used_at, locale) })}</p> : null}
      {ticket.status !== 'valid' ? <p>{t('tickets.revoked')}</p> : null}
      {valid ? <LiveQr ticketId={ticket.id} place={place} /> : null}
      <div className="flex flex-wrap gap-2">
        <Button
          variant="secondary"
          disabled={!session}
          onClick={() => {
            if (!session) return;
            setPdfFailed(false);
            downloadPdf(`/me/tickets/${ticket.id}/ticket.pdf`, session.accessToken, `ticket-${ticket.id}.pdf`).catch(() => setPdfFailed(true));
          }}
        >
          {t('tickets.pdf')}
        </Button>
        {valid && !transferring ? (
          <Button variant="secondary" onClick={() => setTransferring(true)}>
            {t('tickets.transfer')}
          </Button>
        ) : null}
      </div>
      {pdfFailed ? (
        <p role="alert" className="text-sm text-red-800">
          {t('error.generic')}
        </p>
      ) : null}
      {valid && transferring ? <TransferForm ticketId={ticket.id} /> : null}
    </li>
  );
}
