import { useCallback, useEffect, useRef, useState } from 'react';
import { useSelector, useStore } from 'react-redux';
import { useNavigate, useParams } from 'react-router-dom';

import { ProblemAlert } from '@/components/ProblemAlert';
import { Loading } from '@/components/Spinner';
import { saveAdmission } from '@/lib/admission';
import {
  type QueueStatus,
  useLazyWaitingroomStatusQuery,
  useWaitingroomChallengeMutation,
  useWaitingroomJoinMutation,
} from '@/lib/api/generated';
import { type Session, selectSession } from '@/lib/auth';
import { useI18n } from '@/lib/i18n';
import { openStream } from '@/lib/sse';
import { describeRemaining, formatDateTime } from '@/lib/time';

import { solveInWorker } from './solveInWorker';

type Step = 'checking' | 'solving' | 'joining' | 'waiting';

function StatusView({ status }: { status: QueueStatus }) {
  const { t, locale } = useI18n();
  if (status.state === 'admitted') return <p className="text-lg font-semibold text-green-800">{t('queue.admitted')}</p>;
  if (status.supply === 'sold_out') return <p className="text-lg font-semibold text-red-800">{t('queue.soldOut')}</p>;
  return (
    <div className="space-y-3">
      {status.state === 'pre_queue' ? (
        <>
          <p>{t('queue.preQueue')}</p>
          <p className="font-semibold">{formatDateTime(status.on_sale_at, locale)}</p>
        </>
      ) : (
        <>
          {status.position != null ? (
            <p className="text-3xl font-bold">{t('queue.position', { position: status.position })}</p>
          ) : null}
          {status.people_ahead != null ? <p>{t('queue.ahead', { count: status.people_ahead })}</p> : null}
          {status.estimated_wait_s != null ? (
            <p>
              {t('queue.wait', {
                time: describeRemaining({
                  days: 0,
                  hours: Math.floor(status.estimated_wait_s / 3600),
                  minutes: Math.floor((status.estimated_wait_s % 3600) / 60),
                  seconds: status.estimated_wait_s % 60,
                  totalSeconds: status.estimated_wait_s,
                }),
              })}
            </p>
          ) : null}
        </>
      )}
      {status.supply === 'all_held' ? <p className="rounded-md bg-amber-100 p-3 text-amber-950">{t('queue.paused')}</p> : null}
      <p className="text-sm text-slate-700">{t('queue.keepTab')}</p>
      <p className="text-sm text-slate-700">{t('queue.next')}</p>
    </div>
  );
}

export function WaitingRoomPage() {
  const { eventId = '' } = useParams();
  const { t } = useI18n();
  const navigate = useNavigate();
  const store = useStore<{ auth: { session: Session | null } }>();
  const session = useSelector(selectSession);
  const [step, setStep] = useState<Step>('checking');
  const [status, setStatus] = useState<QueueStatus | null>(null);
  const [readStatus, statusResult] = useLazyWaitingroomStatusQuery();
  const [challenge, challengeResult] = useWaitingroomChallengeMutation();
  const [join, joinResult] = useWaitingroomJoinMutation();
  const started = useRef(false);

  useEffect(() => {
    if (!session) navigate(`/login?next=${encodeURIComponent(`/event/${eventId}/queue`)}`);
  }, [session, eventId, navigate]);

  // Take a place: the proof of work in a worker, then the join.
  const takePlace = useCallback(async () => {
    setStep('solving');
    const asked = await challenge({ eventId });
    if (!('data' in asked) || !asked.data) return;
    const solution = await solveInWorker(asked.data.challenge, asked.data.difficulty);
    setStep('joining');
    const joined = await join({ eventId, joinIn: { challenge: asked.data.challenge, solution } });
    if ('data' in joined && joined.data) {
      setStatus(joined.data);
      setStep('waiting');
    }
  }, [challenge, join, eventId]);

  // Keep the place we have, else take one; then follow it live.
  useEffect(() => {
    if (started.current || !session) return;
    started.current = true;
    void (async () => {
      const current = await readStatus({ eventId });
      if (current.error && 'status' in current.error && current.error.status === 404) {
        navigate(`/event/${eventId}/seats`, { replace: true }); // no waiting room
        return;
      }
      if (current.data && current.data.state !== 'not_in_queue' && current.data.state !== 'admission_expired') {
        setStatus(current.data);
        setStep('waiting');
        return;
      }
      await takePlace();
    })();
  }, [session, eventId, readStatus, takePlace, navigate]);

  useEffect(() => {
    if (step !== 'waiting') return undefined;
    return openStream(
      `/waitingroom/events/${eventId}/status/stream`,
      (): Record<string, string> => {
        const current = store.getState().auth.session;
        return current ? { Authorization: `Bearer ${current.accessToken}` } : {};
      },
      (message) => {
        if (message.event === 'status') setStatus(JSON.parse(message.data) as QueueStatus);
      },
    );
  }, [step, eventId, store]);

  useEffect(() => {
    if (status?.state === 'admitted' && status.admission_token) {
      saveAdmission(eventId, { token: status.admission_token, expiresAt: status.admission_expires_at ?? null });
      navigate(`/event/${eventId}/seats`, { replace: true });
    }
  }, [status, eventId, navigate]);

  return (
    <section aria-labelledby="queue-title" className="mx-auto max-w-xl space-y-4">
      <h1 id="queue-title" className="text-2xl font-bold">
        {t('queue.title')}
      </h1>
      <div aria-live="polite" className="rounded-lg border border-slate-300 bg-white p-5">
        {step === 'checking' ? <Loading /> : null}
        {step === 'solving' ? <p>{t('queue.solving')}</p> : null}
        {step === 'joining' ? <p>{t('queue.joining')}</p> : null}
        {step === 'waiting' && status ? <StatusView status={status} /> : null}
        {step === 'waiting' && status?.state === 'admission_expired' ? (
          <div className="mt-3 space-y-2">
            <p>{t('error.admission_expired')}</p>
            <button type="button" className="min-h-11 rounded-md bg-indigo-700 px-4 py-2 text-white" onClick={() => void takePlace()}>
              {t('queue.rejoin')}
            </button>
          </div>
        ) : null}
      </div>
      <ProblemAlert error={challengeResult.error ?? joinResult.error ?? (statusResult.error && 'status' in statusResult.error && statusResult.error.status === 404 ? undefined : statusResult.error)} />
    </section>
  );
}
