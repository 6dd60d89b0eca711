import { useEffect, useMemo, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';

import { Button } from '@/components/Button';
import { ProblemAlert } from '@/components/ProblemAlert';
import { useLive } from '@/hooks/useLive';
import { Loading } from '@/components/Spinner';
import { dropAdmission, loadAdmission } from '@/lib/admission';
import {
  type InventoryCreateHoldApiArg,
  type UnitStatus,
  useGetEventQuery,
  useGetEventSeatMapQuery,
  useInventoryAvailabilityQuery,
  useInventoryCreateHoldMutation,
} from '@/lib/api/generated';
import { useI18n } from '@/lib/i18n';
import { toProblem } from '@/lib/problem';

import { SeatMap } from './SeatMap';
import { stillAvailable, toggleSeat } from './seatSelection';

// Seat-map deltas arrive live (`event:<id>`); availability is also re-read at this pace
// in case the live connection is down.
const AVAILABILITY_POLL_MS = 15000;

export function BuyPage() {
  const { eventId = '' } = useParams();
  const { t } = useI18n();
  const navigate = useNavigate();
  const event = useGetEventQuery({ eventId });
  const map = useGetEventSeatMapQuery({ eventId });
  const availability = useInventoryAvailabilityQuery({ eventId }, { pollingInterval: AVAILABILITY_POLL_MS });
  const [hold, holdResult] = useInventoryCreateHoldMutation();
  const [selected, setSelected] = useState<string[]>([]);
  const [taken, setTaken] = useState<string[]>([]);
  const [section, setSection] = useState('');
  const [bestQuantity, setBestQuantity] = useState(2);
  const [gaQuantity, setGaQuantity] = useState<Record<string, number>>({});
  const limit = event.data?.per_buyer_limit ?? 6;
  const [live, setLive] = useState<{ seats: Record<string, UnitStatus>; ga: Record<string, number> }>({ seats: {}, ga: {} });
  useEffect(() => setLive({ seats: {}, ga: {} }), [availability.data]);
  useLive([`event:${eventId}`], (message) => {
    const data = message.data as { seats?: Record<string, UnitStatus>; ga?: Record<string, number> };
    if (message.type === 'snapshot') setLive({ seats: data.seats ?? {}, ga: data.ga ?? {} });
    else if (message.type === 'delta')
      setLive((l) => ({ seats: { ...l.seats, ...data.seats }, ga: { ...l.ga, ...data.ga } }));
  });
  const statuses = useMemo(() => ({ ...(availability.data?.seats ?? {}), ...live.seats }), [availability.data, live.seats]);
  const sections = useMemo(() => [...new Set(map.data?.seats.map((s) => s.section_id))], [map.data]);

  // A seat someone else took while it was selected: explain it, drop it.
  useEffect(() => {
    const { kept, lost } = stillAvailable(selected, statuses);
    if (lost.length) {
      setSelected(kept);
      setTaken(lost);
    }
  }, [statuses, selected]);

  const seatLabel = (id: string) => {
    const seat = map.data?.seats.find((s) => s.seat_id === id);
    return seat ? t('buy.seat', { section: seat.section_id, row: seat.row_label, seat: seat.seat_label }) : id;
  };

  async function take(body: InventoryCreateHoldApiArg['body']) {
    setTaken([]);
    const admission = loadAdmission(eventId);
    const result = await hold({ eventId, 'x-admission-token': admission?.token ?? null, body });
    if ('data' in result && result.data) {
      navigate(`/event/${eventId}/checkout/${result.data.hold_id}`);
      return;
    }
    const problem = toProblem(result.error);
    if (problem?.code === 'seats_taken' && body.kind === 'seats') {
      await availability.refetch();
    }
    if (problem?.code === 'admission_expired' || problem?.code === 'admission_invalid' || problem?.code === 'admission_required') {
      dropAdmission(eventId);
    }
  }

  if (event.isLoading || map.isLoading) return <Loading />;
  if (!event.data || !map.data) return <ProblemAlert error={event.error ?? map.error} />;
  const currency = map.data.currency;
  const holdProblem = toProblem(holdResult.error);
  const needsQueue = holdProblem && ['admission_expired', 'admission_invalid', 'admission_required'].includes(holdProblem.code);

  return (
    <section aria-labelledby="buy-title" className="space-y-6">
      <h1 id="buy-title" className="text-2xl font-bold">
        {t('buy.title')} — {event.data.name}
      </h1>
      {taken.length ? (
        <p role="alert" className="rounded-md border border-amber-400 bg-amber-50 p-3 text-amber-950">
          {t('buy.seatTaken', { seats: taken.map(seatLabel).join(', ') })}
        </p>
      ) : null}
      <ProblemAlert error={holdResult.error} />
      {needsQueue ? (
        <Button variant="secondary" onClick={() => navigate(`/event/${eventId}/queue`)}>
          {t('event.join')}
        </Button>
      ) : null}
      {map.data.seats.length ? (
        <>
          <SeatMap
            seats={map.data.seats}
            statuses={statuses}
            priceLevels={map.data.price_levels}
            currency={currency}
            selected={selected}
            onToggle={(id) => setSelected((s) => toggleSeat(s, id, limit))}
          />
          <Button disabled={!selected.length || holdResult.isLoading} onClick={() => take({ kind: 'seats', seat_ids: selected })}>
            {t('buy.hold')}
          </Button>
          <form
            className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-300 bg-white p-4"
            onSubmit={(e) => {
              e.preventDefault();
              void take({ kind: 'best', section_id: section || sections[0] || '', quantity: bestQuantity });
            }}
          >
            <h2 className="w-full text-lg font-semibold">{t('buy.best')}</h2>
            <label className="flex flex-col text-sm">
              {t('buy.section')}
              <select className="min-h-11 rounded border border-slate-400 px-2" value={section || sections[0]} onChange={(e) => setSection(e.target.value)}>
                {sections.map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            </label>
            <label className="flex flex-col text-sm">
              {t('buy.quantity')}
              <input type="number" min={1} max={limit} className="min-h-11 w-24 rounded border border-slate-400 px-2" value={bestQuantity} onChange={(e) => setBestQuantity(Number(e.target.value))} />
            </label>
            <Button type="submit" disabled={holdResult.isLoading}>
              {t('buy.best')}
            </Button>
          </form>
        </>
      ) : null}
      {map.data.ga_areas.map((area) => {
        const left = live.ga[area.area_id] ?? availability.data?.ga[area.area_id]?.available ?? area.capacity;
        const quantity = gaQuantity[area.area_id] ?? 1;
        return (
          <form
            key={area.area_id}
            className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-300 bg-white p-4"
            onSubmit={(e) => {
              e.preventDefault();
              void take({ kind: 'ga', area_id: area.area_id, quantity });
            }}
          >
            <h2 className="w-full text-lg font-semibold">
              {t('buy.ga')}: {area.name} <span className="text-sm font-normal text-slate-700">({t('buy.left', { count: left })})</span>
            </h2>
            <label className="flex flex-col text-sm">
              {t('buy.quantity')}
              <input
                type="number"
                min={1}
                max={Math.max(1, Math.min(limit, left))}
                className="min-h-11 w-24 rounded border border-slate-400 px-2"
                value={quantity}
                onChange={(e) => setGaQuantity((q) => ({ ...q, [area.area_id]: Number(e.target.value) }))}
              />
            </label>
            <Button type="submit" disabled={!left || holdResult.isLoading}>
              {t('buy.holdGa')}
            </Button>
          </form>
        );
      })}
    </section>
  );
}
