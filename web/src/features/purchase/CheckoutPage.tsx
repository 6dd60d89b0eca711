import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';

import { Button } from '@/components/Button';
import { Field } from '@/components/Field';
import { ProblemAlert } from '@/components/ProblemAlert';
import { Loading } from '@/components/Spinner';
import { useNow } from '@/hooks/useNow';
import {
  type PaymentMethod,
  type TicketChoice,
  useGetEventQuery,
  useGetEventSeatMapQuery,
  useGetMeQuery,
  useInventoryExtendHoldMutation,
  useInventoryGetHoldQuery,
  useInventoryReleaseHoldMutation,
  useOrdersCheckoutMutation,
  useSandboxPspTokenizeMutation,
} from '@/lib/api/generated';
import { useI18n } from '@/lib/i18n';
import { formatMoney } from '@/lib/money';
import { clock, remaining } from '@/lib/time';

import { isValidCpf } from './cpf';
import { unitPrice } from './pricing';

// The hold may be extended once, after this warning (WCAG 2.2.1: timing adjustable).
const WARN_BEFORE_S = 60;

interface Line {
  seatId: string | null;
  areaId: string | null;
  label: string;
  levelAmount: number;
  ticketTypeId: string;
  holderName: string;
  holderCpf: string;
}

export function CheckoutPage() {
  const { eventId = '', holdId = '' } = useParams();
  const { t, locale } = useI18n();
  const navigate = useNavigate();
  const now = useNow();
  const hold = useInventoryGetHoldQuery({ eventId, holdId });
  const event = useGetEventQuery({ eventId });
  const map = useGetEventSeatMapQuery({ eventId });
  const me = useGetMeQuery();
  const [extend, extendResult] = useInventoryExtendHoldMutation();
  const [release] = useInventoryReleaseHoldMutation();
  const [tokenize, tokenResult] = useSandboxPspTokenizeMutation();
  const [checkout, checkoutResult] = useOrdersCheckoutMutation();
  const [lines, setLines] = useState<Line[]>([]);
  const [buyerName, setBuyerName] = useState('');
  const [buyerEmail, setBuyerEmail] = useState('');
  const [method, setMethod] = useState<PaymentMethod>('pix');
  const [card, setCard] = useState({ number: '4242 4242 4242 4242', expiry: '12/30', cvc: '123' });
  const [halfConfirmed, setHalfConfirmed] = useState(false);

  const defaultType = event.data?.ticket_types?.find((tt) => tt.kind === 'full') ?? event.data?.ticket_types?.[0];

  // The buyer's own name is the default holder of every ticket (editable per ticket).
  useEffect(() => {
    if (!me.data) return;
    const { name, email } = me.data;
    setBuyerName((n) => n || name);
    setBuyerEmail((e) => e || email);
    setLines((all) => (all.some((l) => !l.holderName) ? all.map((l) => (l.holderName ? l : { ...l, holderName: name })) : all));
  }, [me.data, lines.length]);

  // One line per unit of the hold, priced at its seat's (or area's) level.
  useEffect(() => {
    if (!hold.data || !map.data || !event.data || lines.length) return;
    const level = (id: string | null | undefined) => map.data!.price_levels.find((l) => l.id === id)?.amount_minor ?? 0;
    const name = me.data?.name ?? '';
    const next: Line[] = [];
    for (const seatId of hold.data.seats) {
      const seat = map.data.seats.find((s) => s.seat_id === seatId);
      next.push({
        seatId, areaId: null, levelAmount: level(seat?.price_level_id),
        label: seat ? t('buy.seat', { section: seat.section_id, row: seat.row_label, seat: seat.seat_label }) : seatId,
        ticketTypeId: defaultType?.id ?? '', holderName: name, holderCpf: '',
      });
    }
    for (const [areaId, quantity] of Object.entries(hold.data.ga)) {
      const area = map.data.ga_areas.find((a) => a.area_id === areaId);
      for (let i = 0; i < quantity; i += 1)
        next.push({
          seatId: null, areaId, levelAmount: level(area?.price_level_id), label: area?.name ?? areaId,
          ticketTypeId: defaultType?.id ?? '', holderName: name, holderCpf: '',
        });
    }
    setLines(next);
  }, [hold.data, map.data, event.data, me.data, defaultType, lines.length, t]);

  const types = useMemo(() => new Map((event.data?.ticket_types ?? []).map((tt) => [tt.id, tt])), [event.data]);
  const total = lines.reduce((sum, l) => sum + unitPrice(l.levelAmount, types.get(l.ticketTypeId)?.kind ?? 'full'), 0);
  const anyHalf = lines.some((l) => types.get(l.ticketTypeId)?.kind === 'half');
  const requiresCpf = event.data?.requires_cpf ?? false;
  const cpfErrors = lines.map((l) => (requiresCpf && l.holderCpf && !isValidCpf(l.holderCpf) ? t('checkout.invalidCpf') : undefined));

  if (hold.isLoading || event.isLoading || map.isLoading) return <Loading />;
  if (!hold.data || !event.data) return <ProblemAlert error={hold.error ?? event.error} />;
  const currency = map.data?.currency ?? event.data.currency ?? 'BRL';
  const left = remaining(hold.data.expires_at_ms, now);
  const expired = left.totalSeconds === 0;

  function update(index: number, change: Partial<Line>) {
    setLines((all) => all.map((l, i) => (i === index ? { ...l, ...change } : l)));
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (cpfErrors.some(Boolean)) return;
    let cardToken: string | null = null;
    if (method === 'card_sandbox') {
      const [month, year] = card.expiry.split('/').map((p) => Number(p.trim()));
      const token = await tokenize({
        cardDetails: { number: card.number.replace(/\s/g, ''), exp_month: month ?? 0, exp_year: 2000 + (year ?? 0), cvc: card.cvc },
      });
      if (!('data' in token) || !token.data) return;
      cardToken = token.data.token;
    }
    const tickets: TicketChoice[] = lines.map((l) => ({
      seat_id: l.seatId,
      area_id: l.areaId,
      ticket_type_id: l.ticketTypeId,
      holder_name: l.holderName,
      holder_cpf: requiresCpf ? l.holderCpf : null,
      half_price_eligible: types.get(l.ticketTypeId)?.kind === 'half' && halfConfirmed,
    }));
    const result = await checkout({
      checkoutRequest: {
        hold_id: holdId,
        payment_method: total === 0 ? 'free' : method,
        card_token: cardToken,
        buyer: { name: buyerName, email: buyerEmail },
        tickets,
        expected_total_cents: total,
        locale,
      },
    });
    if ('data' in result && result.data) navigate(`/order/${result.data.id}`);
  }

  return (
    <section aria-labelledby="checkout-title" className="space-y-6">
      <h1 id="checkout-title" className="text-2xl font-bold">
        {t('checkout.title')} — {event.data.name}
      </h1>
      <div role="timer" aria-live={left.totalSeconds <= WARN_BEFORE_S ? 'assertive' : 'off'} className={`rounded-md p-3 font-semibold ${left.totalSeconds <= WARN_BEFORE_S ? 'bg-amber-100 text-amber-950' : 'bg-indigo-50 text-indigo-950'}`}>
        {expired ? t('checkout.holdExpired') : t('checkout.holdEnds', { time: clock(left) })}
      </div>
      {!expired && left.totalSeconds <= WARN_BEFORE_S && !hold.data.extended ? (
        <Button variant="secondary" disabled={extendResult.isLoading} onClick={() => extend({ eventId, holdId }).then(() => hold.refetch())}>
          {t('checkout.extend')}
        </Button>
      ) : null}
      <ProblemAlert error={extendResult.error} />
      <form className="space-y-6" onSubmit={submit}>
        <fieldset className="space-y-4 rounded-lg border border-slate-300 bg-white p-4">
          <legend className="px-1 font-semibold">{t('checkout.ticketType')}</legend>
          {lines.map((line, index) => (
            <div key={`${line.seatId ?? line.areaId}-${index}`} className="grid gap-3 border-b border-slate-200 pb-4 last:border-0 sm:grid-cols-3">
              <p className="font-medium sm:col-span-3">{line.label}</p>
              <label className="flex flex-col text-sm">
                {t('checkout.ticketType')}
                <select className="min-h-11 rounded border border-slate-400 px-2" value={line.ticketTypeId} onChange={(e) => update(index, { ticketTypeId: e.target.value })}>
                  {event.data!.ticket_types?.filter((tt) => tt.kind !== 'courtesy').map((tt) => (
                    <option key={tt.id} value={tt.id}>
                      {tt.name} — {formatMoney(unitPrice(line.levelAmount, tt.kind), currency, locale)}
                    </option>
                  ))}
                </select>
              </label>
              <Field label={t('checkout.holderName')} required value={line.holderName} onChange={(e) => update(index, { holderName: e.target.value })} />
              {requiresCpf ? (
                <Field label={t('checkout.holderCpf')} required inputMode="numeric" value={line.holderCpf} error={cpfErrors[index]} onChange={(e) => update(index, { holderCpf: e.target.value })} />
              ) : null}
            </div>
          ))}
          {anyHalf ? (
            <label className="flex items-start gap-2 text-sm">
              <input type="checkbox" required className="mt-1 h-5 w-5" checked={halfConfirmed} onChange={(e) => setHalfConfirmed(e.target.checked)} />
              {t('checkout.halfNote', {
                note: [...types.values()].find((tt) => tt.kind === 'half')?.eligibility_note ?? '',
              })}
            </label>
          ) : null}
        </fieldset>
        <fieldset className="grid gap-3 rounded-lg border border-slate-300 bg-white p-4 sm:grid-cols-2">
          <legend className="px-1 font-semibold">{t('checkout.buyer')}</legend>
          <Field label={t('checkout.name')} autoComplete="name" required value={buyerName} onChange={(e) => setBuyerName(e.target.value)} />
          <Field label={t('checkout.email')} type="email" autoComplete="email" required value={buyerEmail} onChange={(e) => setBuyerEmail(e.target.value)} />
        </fieldset>
        {total > 0 ? (
          <fieldset className="space-y-3 rounded-lg border border-slate-300 bg-white p-4">
            <legend className="px-1 font-semibold">{t('checkout.payment')}</legend>
            {(['pix', 'card_sandbox', 'bank_transfer'] as const).map((m) => (
              <label key={m} className="flex min-h-11 items-center gap-2">
                <input type="radio" name="method" className="h-5 w-5" value={m} checked={method === m} onChange={() => setMethod(m)} />
                {t(m === 'pix' ? 'checkout.pix' : m === 'card_sandbox' ? 'checkout.card' : 'checkout.transfer')}
              </label>
            ))}
            {method === 'card_sandbox' ? (
              <div className="grid gap-3 sm:grid-cols-3">
                <Field label={t('checkout.cardNumber')} inputMode="numeric" autoComplete="cc-number" value={card.number} onChange={(e) => setCard({ ...card, number: e.target.value })} />
                <Field label={t('checkout.expiry')} autoComplete="cc-exp" value={card.expiry} onChange={(e) => setCard({ ...card, expiry: e.target.value })} />
                <Field label={t('checkout.cvc')} inputMode="numeric" autoComplete="cc-csc" value={card.cvc} onChange={(e) => setCard({ ...card, cvc: e.target.value })} />
              </div>
            ) : null}
          </fieldset>
        ) : null}
        <p className="text-xl font-bold">
          {t('checkout.total')}: {formatMoney(total, currency, locale)}
        </p>
        <ProblemAlert error={tokenResult.error ?? checkoutResult.error} />
        <div className="flex flex-wrap gap-3">
          <Button type="submit" disabled={expired || checkoutResult.isLoading || tokenResult.isLoading || !lines.length}>
            {t('checkout.pay', { amount: formatMoney(total, currency, locale) })}
          </Button>
          <Button
            variant="secondary"
            onClick={() => release({ eventId, holdId }).then(() => navigate(`/event/${eventId}/seats`))}
          >
            {t('checkout.release')}
          </Button>
        </div>
      </form>
    </section>
  );
}
