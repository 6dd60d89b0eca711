import QRCode from 'qrcode';
import { useEffect, useState } from 'react';

import { ProblemAlert } from '@/components/ProblemAlert';
import { Loading } from '@/components/Spinner';
import { useNow } from '@/hooks/useNow';
import { useTicketsLiveCodeQuery } from '@/lib/api/generated';
import { useI18n } from '@/lib/i18n';

import { liveCodeAt, secondsToNextStep, stepAt } from './liveCode';

/** The ticket's rotating QR: a new value each step, with a countdown to the next one. */
export function LiveQr({ ticketId, place }: { ticketId: string; place: string }) {
  const { t } = useI18n();
  const live = useTicketsLiveCodeQuery({ ticketId });
  const now = useNow(1000);
  const stepS = live.data?.step_s ?? 15;
  const step = stepAt(now, stepS);
  const [shown, setShown] = useState({ text: '', svg: '' });
  const data = live.data;
  useEffect(() => {
    if (!data) return undefined;
    let current = true;
    void liveCodeAt(data, step * stepS * 1000).then(async (text) => {
      const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      if (current) setShown({ text, svg });
    });
    return () => {
      current = false;
    };
  }, [data, step, stepS]);
  if (live.isLoading) return <Loading />;
  if (!data) return <ProblemAlert error={live.error} />;
  return (
    <figure className="space-y-2">
      {shown.svg ? (
        <img
          data-live-code={shown.text}
          alt={t('tickets.qrAlt', { place })}
          className="h-56 w-56 border border-slate-300 bg-white"
          src={`data:image/svg+xml;utf8,${encodeURIComponent(shown.svg)}`}
        />
      ) : (
        <Loading />
      )}
      <figcaption className="space-y-1 text-sm text-slate-800">
        <p aria-live="off">{t('tickets.nextCode', { seconds: secondsToNextStep(now, stepS) })}</p>
        <p>{t('tickets.noScreenshots')}</p>
      </figcaption>
    </figure>
  );
}
